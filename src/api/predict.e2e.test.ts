import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const row = [0.5, 1.2, 0.8, 0.3, 1.1];
const predict = (body: unknown, headers?: Record<string, string>) => s.request('POST', '/v1/models/churn/predict', body, headers);
const setWeight = (pct: number) => s.request('PUT', '/v1/models/churn/traffic', { canary_weight: pct });

describe('predict', () => {
  it('answers one row with the documented fields', async () => {
    const r = await predict({ features: row });
    assert.equal(r.status, 200);
    assert.match(r.json.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(r.json.model, 'churn');
    assert.ok(r.json.variant === 'stable' || r.json.variant === 'canary');
    assert.equal(r.json.version, r.json.variant === 'stable' ? 1 : 2);
    assert.ok(r.json.prediction === 0 || r.json.prediction === 1);
    assert.ok(r.json.probability >= 0 && r.json.probability <= 1);
    assert.equal(r.json.prediction, r.json.probability >= 0.5 ? 1 : 0);
    assert.ok(typeof r.json.latency_ms === 'number' && r.json.latency_ms >= 0);
  });

  it('answers a batch as one routed request with predictions in row order', async () => {
    const rows = churnRows(20, 7).map((r) => r.features);
    const batch = await predict({ features: rows }, { 'x-coalmine-variant': 'stable' });
    assert.equal(batch.status, 200);
    assert.equal(batch.json.predictions.length, 20);
    assert.equal(batch.json.prediction, undefined);
    for (let i = 0; i < rows.length; i += 7) {
      const single = await predict({ features: rows[i] }, { 'x-coalmine-variant': 'stable' });
      assert.ok(Math.abs(single.json.probability - batch.json.predictions[i].probability) < 1e-6, `row ${i} differs between batch and single`);
    }
  });

  it('serves the seed route POST /predict with the take-home field names', async () => {
    const r = await s.request('POST', '/predict', { features: row });
    assert.equal(r.status, 200);
    assert.equal(r.json.churn_probability, r.json.probability);
    assert.equal(r.json.model_used, r.json.variant);
    assert.equal(typeof r.json.request_id, 'string');
    assert.equal(typeof r.json.latency_ms, 'number');
    // Absent fields are left out, not sent as null: a batch has no single-row names, the native route no seed names.
    const batch = await s.request('POST', '/predict', { features: [row, row] });
    assert.deepEqual(Object.keys(batch.json).sort(), ['latency_ms', 'model', 'model_used', 'predictions', 'request_id', 'variant', 'version']);
    const native = await predict({ features: row }, { 'x-coalmine-variant': 'stable' });
    assert.deepEqual(Object.keys(native.json).sort(), ['forced', 'latency_ms', 'model', 'prediction', 'probability', 'request_id', 'variant', 'version']);
  });

  it('v2 is more accurate than v1 on fresh labelled rows', async () => {
    const rows = churnRows(400, 99);
    const accuracy = async (variant: string) => {
      const r = await predict({ features: rows.map((x) => x.features) }, { 'x-coalmine-variant': variant });
      return r.json.predictions.filter((p: { prediction: number }, i: number) => p.prediction === rows[i]!.label).length / rows.length;
    };
    const v1 = await accuracy('stable');
    const v2 = await accuracy('canary');
    assert.ok(v1 > 0.85 && v1 < 0.95, `v1 accuracy ${v1}`);
    assert.ok(v2 > v1 + 0.02, `v2 ${v2} should beat v1 ${v1}`);
  });

  it('forces a variant with X-Coalmine-Variant (production is a synonym of stable) and marks it', async () => {
    const c = await predict({ features: row }, { 'x-coalmine-variant': 'canary' });
    assert.equal(c.json.variant, 'canary');
    assert.equal(c.json.forced, true);
    const p = await predict({ features: row }, { 'x-coalmine-variant': 'production' });
    assert.equal(p.json.variant, 'stable');
    const bad = await predict({ features: row }, { 'x-coalmine-variant': 'blue' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /stable \(or production\) or canary/);
  });

  it('keeps a key on the same variant (body key, user_id or header)', async () => {
    await setWeight(50);
    for (let i = 0; i < 20; i++) {
      const key = `customer-${i}`;
      const first = (await predict({ features: row, key })).json.variant;
      assert.equal((await predict({ features: row, key })).json.variant, first);
      assert.equal((await predict({ features: row, user_id: key })).json.variant, first);
      assert.equal((await predict({ features: row }, { 'x-coalmine-key': key })).json.variant, first);
    }
  });

  it('splits traffic close to the weight and applies a weight change on the next request', async () => {
    await setWeight(20);
    const replies = await Promise.all(Array.from({ length: 1000 }, () => predict({ features: row })));
    const canary = replies.filter((r) => r.json.variant === 'canary').length;
    assert.ok(canary > 150 && canary < 250, `canary got ${canary} of 1000 at 20%`);
    await setWeight(0);
    assert.equal((await predict({ features: row })).json.variant, 'stable');
    await setWeight(100);
    assert.equal((await predict({ features: row })).json.variant, 'canary');
    await setWeight(20);
  });

  it('gives every request a unique id under concurrent load', async () => {
    const replies = await Promise.all(Array.from({ length: 2000 }, () => predict({ features: row })));
    assert.ok(replies.every((r) => r.status === 200));
    assert.equal(new Set(replies.map((r) => r.json.request_id)).size, 2000);
  });
});
