import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { churnRows } from '../examples/index.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { isDashboardFile } from './openapi.js';

/** OpenAPI writes path parameters as {name}; Fastify as :name. */
const openApiPath = (url: string): string => url.replace(/:([A-Za-z]+)/g, '{$1}');
/** A JSON pointer segment. */
const seg = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

describe('the OpenAPI document at /openapi.json', () => {
  let s: TestServer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an OpenAPI document is read field by field below
  let doc: any;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  before(async () => {
    s = await startTestServer();
    const r = await s.request('GET', '/openapi.json');
    assert.equal(r.status, 200);
    doc = r.json;
    ajv.addSchema(doc, 'openapi');
  });
  after(() => s.close());

  it('is OpenAPI 3.1 and describes every route of the API, and no dashboard file', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'coalmine');
    const routes = s.app.http.routeAccess.filter((r) => r.method !== 'HEAD' && !isDashboardFile(r.url));
    assert.ok(routes.length > 40, `${routes.length} routes`);
    const missing = routes.filter((r) => doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()] === undefined).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, [], 'routes the document does not describe');
    assert.equal(doc.paths['/app.js'], undefined);
    assert.ok(doc.paths['/v2/models/{name}/infer'].post.requestBody, 'request bodies are described too');
  });

  it('validates the replies the server really sends', async () => {
    const calls: [string, string, unknown?][] = [
      ['GET', '/healthz'],
      ['GET', '/readyz'],
      ['GET', '/v1/info'],
      ['GET', '/v1/models'],
      ['GET', '/v1/models/churn'],
      ['GET', '/v1/models/churn/versions/2'],
      ['GET', '/v1/models/churn/events'],
      ['POST', '/v1/models/churn/predict', { features: churnRows(1)[0]!.features }],
      ['POST', '/v1/models/churn/predict', { features: churnRows(3).map((r) => r.features) }],
      ['POST', '/predict', { features: churnRows(1)[0]!.features }],
      ['GET', '/v1/models/churn/metrics'],
      ['GET', '/v1/models/churn/analysis'],
      ['GET', '/v1/models/churn/metrics/series'],
      ['GET', '/v1/models/churn/faults'],
      ['POST', '/v1/models/churn/rollout', { canary: 2, steps: [10, 50], interval: '1h' }],
      ['GET', '/v1/models/churn/rollout'],
      ['GET', '/v1/models/churn/rollout/history'],
      ['GET', '/v1/models/churn/rollout/report'],
      ['GET', '/v1/models/churn/rollouts'],
      ['GET', '/v2'],
      ['GET', '/v2/health/ready'],
      ['GET', '/v2/models/churn'],
      ['GET', '/v2/models/churn/ready'],
      ['POST', '/v2/models/churn/infer', { id: 'x', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: churnRows(1)[0]!.features }] }],
      ['GET', '/openapi.json'],
    ];
    for (const [method, path, body] of calls) {
      const r = await s.request(method, path, body);
      assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
      const route = s.app.http.routeAccess.find((x) => x.method === method && new RegExp(`^${x.url.replace(/:[A-Za-z]+/g, '[^/]+')}$`).test(path));
      assert.ok(route, `${method} ${path} has a route`);
      const pointer = `openapi#/paths/${seg(openApiPath(route.url))}/${method.toLowerCase()}/responses/${r.status}/content/application~1json/schema`;
      const validate = ajv.compile({ $ref: pointer });
      assert.ok(validate(r.json), `${method} ${path} (${r.status}) does not match the document: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
  });

  it('a reply that breaks the document fails its check (the check can fail)', () => {
    const validate = ajv.compile({ $ref: `openapi#/paths/${seg('/v1/models/{name}')}/get/responses/200/content/application~1json/schema` });
    assert.equal(validate({ name: 'churn' }), false);
  });
});
