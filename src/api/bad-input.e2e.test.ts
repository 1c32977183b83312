import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ overrides: { bodyLimitBytes: 4096, maxBatchRows: 50 } });
});
after(() => s.close());

interface Case {
  readonly what: string;
  readonly method?: string;
  readonly path?: string;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
  readonly status: number;
  readonly code: string;
  readonly message?: RegExp;
}

const PREDICT = '/v1/models/churn/predict';
const cases: Case[] = [
  { what: 'malformed JSON', body: '{"features": [1, 2', status: 400, code: 'malformed_json' },
  { what: 'an empty JSON body', body: '', status: 400, code: 'malformed_json' },
  { what: 'a JSON array body', body: [1, 2, 3], status: 400, code: 'invalid_request' },
  { what: 'no features', body: { key: 'a' }, status: 400, code: 'invalid_request', message: /features/ },
  { what: 'features as a string', body: { features: '1,2,3' }, status: 400, code: 'invalid_features' },
  { what: 'too few features', body: { features: [1, 2, 3] }, status: 400, code: 'invalid_features', message: /expects 5 features/ },
  { what: 'too many features', body: { features: [1, 2, 3, 4, 5, 6] }, status: 400, code: 'invalid_features' },
  { what: 'a string feature', body: { features: [1, 2, '3', 4, 5] }, status: 400, code: 'invalid_features', message: /feature 2/ },
  { what: 'a null feature', body: { features: [1, 2, null, 4, 5] }, status: 400, code: 'invalid_features' },
  { what: 'an overflowing number', body: '{"features": [1, 2, 3, 4, 1e400]}', status: 400, code: 'invalid_features', message: /Infinity/ },
  { what: 'a number beyond float32', body: { features: [1, 2, 3, 4, 1e39] }, status: 400, code: 'invalid_features' },
  { what: 'NaN as a bare word', body: '{"features": [1, 2, 3, 4, NaN]}', status: 400, code: 'malformed_json' },
  { what: 'an empty feature list', body: { features: [] }, status: 400, code: 'invalid_features' },
  { what: 'rows mixed with numbers', body: { features: [[1, 2, 3, 4, 5], 6] }, status: 400, code: 'invalid_features', message: /item 1/ },
  { what: 'a ragged batch', body: { features: [[1, 2, 3, 4, 5], [1, 2]] }, status: 400, code: 'invalid_features', message: /row 1/ },
  { what: 'a batch over the row cap', body: { features: Array.from({ length: 51 }, () => [1, 2, 3, 4, 5]) }, status: 400, code: 'invalid_features', message: /at most 50 rows/ },
  { what: 'an oversized body', body: { features: [1, 2, 3, 4, 5], pad: 'x'.repeat(5000) }, status: 413, code: 'body_too_large' },
  { what: 'a form body', body: 'features=1', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { what: 'a key that is an object', body: { features: [1, 2, 3, 4, 5], key: { a: 1 } }, status: 400, code: 'invalid_request' },
  { what: 'an unknown model', path: '/v1/models/nope/predict', body: { features: [1, 2, 3, 4, 5] }, status: 404, code: 'model_not_found' },
  { what: 'an unknown route', path: '/v1/nothing', body: {}, status: 404, code: 'route_not_found' },
  { what: 'a weight above 100', method: 'PUT', path: '/v1/models/churn/traffic', body: { canary_weight: 101 }, status: 400, code: 'invalid_weight' },
  { what: 'a negative weight', method: 'PUT', path: '/v1/models/churn/traffic', body: { canary_weight: -1 }, status: 400, code: 'invalid_weight' },
  { what: 'a weight finer than 0.01%', method: 'PUT', path: '/v1/models/churn/traffic', body: { canary_weight: 12.345 }, status: 400, code: 'invalid_weight', message: /two decimals/ },
  { what: 'a weight as a string', method: 'PUT', path: '/v1/models/churn/traffic', body: { canary_weight: '20' }, status: 400, code: 'invalid_request' },
  { what: 'fractions that do not sum to 1', method: 'PUT', path: '/v1/models/churn/traffic', body: { weights: { stable: 0.9, canary: 0.2 } }, status: 400, code: 'invalid_weight', message: /sum to 1/ },
  { what: 'fractions with an unknown variant', method: 'PUT', path: '/v1/models/churn/traffic', body: { weights: { blue: 0.5, canary: 0.5 } }, status: 400, code: 'invalid_weight' },
  { what: 'both weight forms', method: 'PUT', path: '/v1/models/churn/traffic', body: { canary_weight: 5, weights: { stable: 0.95, canary: 0.05 } }, status: 400, code: 'invalid_weight' },
  { what: 'deploying an unknown version', path: '/v1/models/churn/deploy', body: { version: 9 }, status: 404, code: 'version_not_found' },
  { what: 'deploying the stable version', path: '/v1/models/churn/deploy', body: { version: 1 }, status: 409, code: 'conflict' },
  { what: 'deploying a version of another model', path: '/v1/models/churn/deploy', body: { version: 'fraud@2' }, status: 400, code: 'invalid_request' },
  { what: 'deploying with a bad weight', path: '/v1/models/churn/deploy', body: { version: 2, weight: 200 }, status: 400, code: 'invalid_weight' },
  { what: 'a misspelt label field', body: { features: [1, 2, 3, 4, 5], lable: 1 }, status: 400, code: 'invalid_request', message: /unknown field "lable"/ },
  { what: 'a model named in the body of /predict', path: '/predict', body: { model: 'nope', features: [1, 2, 3, 4, 5] }, status: 400, code: 'invalid_request', message: /unknown field "model".*\/v1\/models\/\{name\}\/predict/ },
  { what: 'a label that is not a class of the model', body: { features: [1, 2, 3, 4, 5], label: 7 }, status: 400, code: 'invalid_request', message: /label 7 is not one of the model's classes \(0, 1\)/ },
  { what: 'a weight that rounds to 0', method: 'PUT', path: '/v1/models/churn/traffic', body: { canary_weight: 1e-300 }, status: 400, code: 'invalid_weight', message: /finer than 0\.01%/ },
  ...['0x10', '1e2', '+5', '%205', '5%20', '-0', '100.001', 'Infinity'].map((n) => ({ what: `/set_canary/${n}`, path: `/set_canary/${n}`, body: undefined, status: 400, code: 'invalid_weight', message: /at most two decimals/ })),
  { what: 'a shorthand rollout of 10^22 steps', path: '/v1/models/churn/rollout', body: { canary: 2, initial: 5, increment: 1e-20, max: 100 }, status: 400, code: 'invalid_request', message: /increment/ },
  { what: 'a shorthand rollout past the step cap', path: '/v1/models/churn/rollout', body: 'canary: 2\ninitial: 5\nincrement: 0.01\nmax: 100\n', headers: { 'content-type': 'application/yaml' }, status: 400, code: 'invalid_request', message: /9501 steps/ },
  { what: 'an empty metrics window', method: 'GET', path: '/v1/models/churn/metrics?window=', body: undefined, status: 400, code: 'invalid_request', message: /window "" must look like 30s/ },
  { what: 'an empty metrics since', method: 'GET', path: '/v1/models/churn/metrics?since=', body: undefined, status: 400, code: 'invalid_request', message: /since "" is not a date/ },
  { what: 'a threshold judge with no limit', path: '/v1/models/churn/rollout', body: { canary: 2, analysis: [{ metric: 'latency', judge: { judge: 'threshold', statistic: 'p95' } }] }, status: 400, code: 'invalid_request', message: /needs max or min/ },
];

describe('bad input gets a clear 4xx and changes nothing', () => {
  it('answers every bad request with a 4xx JSON error and leaves routing as it was', async () => {
    const before = await s.request('GET', '/v1/models/churn');
    for (const c of cases) {
      const r = await s.request(c.method ?? 'POST', c.path ?? PREDICT, c.body, c.headers);
      assert.equal(r.status, c.status, `${c.what}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error?.code, c.code, `${c.what}: ${JSON.stringify(r.json)}`);
      assert.ok(typeof r.json.error.message === 'string' && r.json.error.message.length > 10, `${c.what}: message`);
      if (c.message) assert.match(r.json.error.message, c.message, c.what);
    }
    const afterwards = await s.request('GET', '/v1/models/churn');
    assert.deepEqual(afterwards.json, before.json);
    const events = await s.request('GET', '/v1/models/churn/events');
    assert.deepEqual(events.json.events.map((e: { action: string }) => e.action), ['deploy', 'register']);
    assert.equal((await s.request('GET', '/v1/models/churn/rollout')).status, 404, 'no rollout was started');
    const metrics = (await s.request('GET', '/v1/models/churn/metrics')).json;
    assert.equal(metrics.variants.stable.labelled + metrics.variants.canary.labelled, 0, "no refused label was counted");
    const ok = await s.request('POST', PREDICT, { features: [1, 2, 3, 4, 5] });
    assert.equal(ok.status, 200, 'the server still serves after the bad requests');
  });

  it('refuses operations that need a canary when none is deployed', async () => {
    await s.request('POST', '/v1/models/churn/rollback');
    for (const [method, path, body] of [
      ['PUT', '/v1/models/churn/traffic', { canary_weight: 5 }],
      ['POST', '/v1/models/churn/promote', undefined],
      ['POST', '/v1/models/churn/rollback', undefined],
    ] as const) {
      const r = await s.request(method, path, body);
      assert.equal(r.status, 409, path);
      assert.equal(r.json.error.code, 'no_canary');
      assert.match(r.json.error.message, /deploy one first/);
    }
    const forced = await s.request('POST', PREDICT, { features: [1, 2, 3, 4, 5] }, { 'x-coalmine-variant': 'canary' });
    assert.equal(forced.status, 409);
    assert.equal(forced.json.error.code, 'no_canary');
  });
});
