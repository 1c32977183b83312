import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { startTestServer } from '../test-support/test-server.js';

const TOKEN = 'fuzz-admin-token-0123456789abcdef';
const RUNS = Number(process.env.COALMINE_FUZZ_RUNS ?? 10_000);

/** Route shapes of the public API, with every parameter fuzzed. */
const TEMPLATES = [
  'POST /predict',
  'POST /v1/models/{m}/predict',
  'POST /v1/feedback',
  'GET /v1/models/{m}',
  'GET /v1/models/{m}/versions/{x}',
  'GET /v1/models/{m}/events?limit={x}',
  'GET /v1/models/{m}/metrics?window={x}',
  'GET /v1/models/{m}/metrics/series?window={x}&step={x}',
  'GET /v1/models/{m}/analysis',
  'GET /v1/models/{m}/rollout/report?format={x}',
  'PUT /v1/models/{m}/traffic',
  'POST /v1/models/{m}/deploy',
  'POST /v1/models/{m}/rollout',
  'POST /v1/models/{m}/rollout/{x}',
  'POST /v1/models/{m}/faults',
  'POST /v1/models/{m}/versions?metrics={x}',
  'POST /set_canary/{x}',
  'POST /admin/deploy-canary',
  'GET /metrics',
  'GET /{x}',
  'POST /v2/models/{m}/infer',
  'POST /v2/models/{m}/versions/{x}/infer',
  'GET /v2/models/{m}',
  'GET /v2/models/{m}/versions/{x}/ready',
] as const;

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('churn', 'nope', '..', '../..', '%2e%2e', '%00', 'a'.repeat(300), '-1', '1e999', 'NaN', '0x10', '2', 'v2', 'churn@2', '5m', '0s', '99999999d', 'pause', 'promote', 'markdown'),
);
const finiteOrNot = fc.oneof(fc.double(), fc.constantFrom(1e39, -1e39, 0, 1.5, 3.4e38));
const predictLike = fc.record(
  {
    features: fc.oneof(fc.array(finiteOrNot, { maxLength: 7 }), fc.array(fc.array(finiteOrNot, { maxLength: 6 }), { maxLength: 4 }), fc.jsonValue({ maxDepth: 3 })),
    key: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.jsonValue({ maxDepth: 1 })),
    label: fc.oneof(fc.constantFrom(0, 1, '1', true, null), fc.jsonValue({ maxDepth: 1 })),
    request_id: fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })),
    canary_weight: fc.oneof(fc.double(), fc.integer({ min: -10, max: 200 })),
    canary: fc.jsonValue({ maxDepth: 1 }),
    variant: fc.constantFrom('canary', 'stable', 'blue', ''),
    wrong: fc.double(),
    model_path: text,
  },
  { requiredKeys: [] },
);
/** Mostly valid predictions (5 features), so accepted requests are fuzzed too. */
const row = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 5, maxLength: 5 });
const validPredict = fc.record({ features: fc.oneof(row, fc.array(row, { minLength: 1, maxLength: 3 })), key: fc.string({ maxLength: 10 }) }, { requiredKeys: ['features'] });
/** Open Inference Protocol bodies: mostly the right input, with fuzzed datatypes, shapes and data. */
const v2Infer = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 })),
    parameters: fc.oneof(fc.record({ key: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.jsonValue({ maxDepth: 1 })) }), fc.jsonValue({ maxDepth: 2 })),
    inputs: fc.array(
      fc.record(
        {
          name: fc.oneof({ arbitrary: fc.constant('input'), weight: 4 }, fc.string({ maxLength: 10 })),
          datatype: fc.constantFrom('FP32', 'FP32', 'FP64', 'INT64', 'BYTES', 'BOOL', 'FP16', 'nope'),
          shape: fc.oneof(fc.constant([1, 5]), fc.array(fc.integer({ min: -2, max: 6 }), { maxLength: 4 })),
          data: fc.oneof(row, fc.array(row, { maxLength: 2 }), fc.jsonValue({ maxDepth: 3 })),
        },
        { requiredKeys: ['name', 'datatype', 'shape', 'data'] },
      ),
      { maxLength: 3 },
    ),
    outputs: fc.oneof(fc.constant([{ name: 'probabilities' }]), fc.array(fc.record({ name: fc.string({ maxLength: 10 }) }), { maxLength: 2 })),
  },
  { requiredKeys: ['inputs'] },
);
const body = fc.oneof(
  { arbitrary: validPredict.map((b) => JSON.stringify(b)), weight: 5 },
  { arbitrary: row.map((data) => JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data }] })), weight: 2 },
  { arbitrary: v2Infer.map((b) => JSON.stringify(b)), weight: 2 },
  fc.dictionary(fc.constantFrom('input', 'x', 'plan', '__proto__', 'constructor'), fc.jsonValue({ maxDepth: 2 })).map((f) => JSON.stringify({ features: f })),
  predictLike.map((b) => JSON.stringify(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('', '{', '{"features": [1,2,3,4,1e400]}', '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]', '{"features": "' + 'x'.repeat(5000) + '"}', 'null', '\u0000'),
);
const header = fc.stringMatching(/^[\x20-\x7e]{0,40}$/);
const request = fc.record({
  // Predict is the hot, public path: it gets a third of the requests, mostly on the real model.
  template: fc.oneof({ arbitrary: fc.constantFrom('POST /predict', 'POST /v1/models/{m}/predict', 'POST /v2/models/{m}/infer'), weight: 1 }, { arbitrary: fc.constantFrom(...TEMPLATES), weight: 2 }),
  params: fc.array(fc.oneof({ arbitrary: fc.constant('churn'), weight: 2 }, { arbitrary: text, weight: 3 }), { minLength: 3, maxLength: 3 }),
  body,
  contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/octet-stream', 'application/yaml', 'multipart/form-data', '', 'application/x-www-form-urlencoded'),
  variant: fc.option(fc.oneof(fc.constantFrom('canary', 'stable', 'production'), header)),
  key: fc.option(header),
  auth: fc.option(fc.oneof(header, fc.constant('Bearer nope'))),
});

type Request = typeof request extends fc.Arbitrary<infer R> ? R : never;

interface Tally {
  served: number;
  statuses: Map<number, number>;
}

/** Sends one generated request and checks the reply's shape; counts answered predictions. */
async function send(url: string, r: Request, token: string | null, tally: Tally): Promise<void> {
  const [method, pattern] = r.template.split(' ') as [string, string];
  let i = 0;
  const path = pattern.replace(/\{[mx]\}/g, () => encodeURIComponent(r.params[i++]!));
  const headers: Record<string, string> = {};
  if (r.contentType) headers['content-type'] = r.contentType;
  if (r.variant !== null) headers['x-coalmine-variant'] = r.variant;
  if (r.key !== null) headers['x-coalmine-key'] = r.key;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  else if (r.auth !== null) headers.authorization = r.auth;
  const res = await fetch(url + path, { method, headers, ...(method === 'GET' ? {} : { body: r.body }) });
  const replyText = await res.text();
  tally.statuses.set(res.status, (tally.statuses.get(res.status) ?? 0) + 1);
  assert.ok(res.status < 500, `${method} ${path} → ${res.status}: ${replyText.slice(0, 300)}`);
  if (res.status >= 400 && path.startsWith('/v2/')) {
    // The Open Inference Protocol's own error shape.
    const err = (JSON.parse(replyText) as { error: string }).error;
    assert.ok(typeof err === 'string' && err.length > 0, replyText);
  } else if (res.status >= 400) {
    const err = (JSON.parse(replyText) as { error: { code: string; message: string } }).error;
    assert.ok(typeof err.code === 'string' && err.code.length > 0 && typeof err.message === 'string' && err.message.length > 0, replyText);
  }
  if (res.status === 200 && method === 'POST' && path.endsWith('/infer')) {
    tally.served++;
    assert.match((JSON.parse(replyText) as { parameters: { coalmine_variant: string } }).parameters.coalmine_variant, /^(stable|canary)$/, replyText);
  }
  if (res.status === 200 && method === 'POST' && path.endsWith('predict')) {
    tally.served++;
    // Found by this fuzzer: "X-Coalmine-Variant: constructor" once served a variant named "[object Object]".
    assert.match((JSON.parse(replyText) as { variant: string }).variant, /^(stable|canary)$/, replyText);
  }
}

describe('fuzzing the public endpoints', () => {
  it('refuses property names of Object.prototype as variants (a bug the fuzzer found)', async () => {
    const s = await startTestServer();
    try {
      for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const res = await s.request('POST', '/predict', { features: [0.5, 1.2, 0.8, 0.3, 1.1] }, { 'x-coalmine-variant': name });
        assert.equal(res.status, 400, name);
        assert.match(res.json.error.message, /unknown variant/);
      }
    } finally {
      await s.close();
    }
  });

  it(`answers ${RUNS} generated requests with 2xx or a 4xx JSON error; refused ones change nothing`, async () => {
    const s = await startTestServer({ overrides: { adminToken: TOKEN } });
    const seed = Number(process.env.COALMINE_FUZZ_SEED ?? 20261122);
    try {
      // Without the token: admin routes refuse, so routing, versions and faults must not move.
      const anonymous: Tally = { served: 0, statuses: new Map() };
      const before = (await s.request('GET', '/v1/models/churn')).json;
      await fc.assert(fc.asyncProperty(request, (r) => send(s.url, r, null, anonymous)), { numRuns: Math.ceil(RUNS * 0.6), seed });
      assert.deepEqual((await s.request('GET', '/v1/models/churn')).json, before, 'routing, versions and faults are unchanged');
      // With the token: admin validation is fuzzed too (valid changes may land; nothing may crash).
      // Not fault injection: a deliberately failing model answers a forced request with a 500.
      const admin: Tally = { served: 0, statuses: new Map() };
      const adminRequest = request.filter((r) => !r.template.includes('faults'));
      await fc.assert(fc.asyncProperty(adminRequest, (r) => send(s.url, r, TOKEN, admin)), { numRuns: Math.floor(RUNS * 0.4), seed: seed + 1 });

      assert.equal((await s.request('GET', '/healthz')).status, 200, 'the process is still up');
      const m = (await s.request('GET', '/v1/models/churn/metrics?window=1h')).json;
      const counted = m.variants.stable.requests + m.variants.canary.requests + m.variants.stable.forced_requests + m.variants.canary.forced_requests;
      assert.equal(counted, anonymous.served + admin.served, 'metrics count exactly the predictions that were answered');
      assert.equal(m.variants.stable.errors + m.variants.canary.errors, 0, 'no request was a model error');
      const all = [...anonymous.statuses, ...admin.statuses];
      const count = (status: number) => all.filter(([k]) => k === status).reduce((n, [, v]) => n + v, 0);
      assert.ok(anonymous.served + admin.served > RUNS / 50 && count(400) > RUNS / 10 && count(401) > 0, `a mix of outcomes: ${anonymous.served + admin.served} predictions served, statuses ${JSON.stringify(all)}`);
    } finally {
      await s.close();
    }
  });
});
