import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { linearRegressor } from '../test-support/onnx-fixtures.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
let outside: string;
before(async () => {
  s = await startTestServer();
  outside = mkdtempSync(join(tmpdir(), 'coalmine-outside-'));
});
after(async () => {
  await s.close();
  rmSync(outside, { recursive: true, force: true });
});

const body = { features: [0.5, 1.2, 0.8, 0.3, 1.1] };
/**
 * n requests from a few clients at a time, like the take-home's load script: latency then measures
 * serving, not a queue of hundreds of requests in flight, whose noise would drown a +10 ms slowdown.
 */
async function traffic(n: number, clients = 4): Promise<Awaited<ReturnType<TestServer['request']>>[]> {
  const replies: Awaited<ReturnType<TestServer['request']>>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        next++;
        replies.push(await s.request('POST', '/predict', body));
      }
    }),
  );
  return replies;
}

describe('the take-home walkthrough (seed 002) on coalmine', () => {
  it('deploys, detects a slowdown with Welch, rolls back, and serves stable afterwards', async () => {
    await s.request('POST', '/v1/models/churn/rollback');
    const model = (await s.request('GET', '/v1/models/churn')).json;
    const v2 = model.versions.find((v: { version: number }) => v.version === 2);
    copyFileSync(join(s.dataDir, 'models', `churn-${v2.sha256.slice(0, 16)}.onnx`), join(s.dataDir, 'models', 'model_v2.onnx'));

    // 1. Deploy canary from a file in the models directory.
    const deployed = await s.request('POST', '/admin/deploy-canary', { model_path: 'models/model_v2.onnx' });
    assert.equal(deployed.status, 200, JSON.stringify(deployed.json));
    assert.equal(deployed.json.status, 'success');
    assert.equal(deployed.json.message, 'Canary model deployed successfully');
    assert.equal(deployed.json.model_path, 'models/model_v2.onnx');
    assert.equal(deployed.json.version, 2, 'the same bytes as version 2 reuse it instead of registering a copy');
    assert.equal(deployed.json.canary_percentage, 10, 'the canary receives 10% of traffic');
    assert.ok(!Number.isNaN(Date.parse(deployed.json.canary_start_time)));

    // 2. Traffic, and the predict reply carries the seed's fields.
    const replies = await traffic(200);
    const first = replies[0]!.json;
    for (const field of ['churn_probability', 'model_used', 'latency_ms', 'request_id']) assert.ok(field in first, `predict reply has ${field}`);
    assert.ok(replies.some((r) => r.json.model_used === 'canary'));

    // 3. First health check: no alert.
    const healthy = await s.request('GET', '/admin/check-canary-health');
    assert.equal(healthy.status, 200);
    for (const field of ['alert_triggered', 'p_value', 'message', 'stable_avg_latency_ms', 'canary_avg_latency_ms', 'stable_sample_count', 'canary_sample_count']) {
      assert.ok(field in healthy.json, `health check has ${field}`);
    }
    assert.equal(healthy.json.alert_triggered, false);
    assert.equal(healthy.json.stable_sample_count + healthy.json.canary_sample_count, 200);

    // 4. Introduce slowness.
    const slow = await s.request('POST', '/admin/toggle-slowdown');
    assert.deepEqual(slow.json, { simulate_slowdown: true, message: 'Slowdown simulation enabled' });

    // 5–6. More traffic, then the alert. On a loaded machine (the suite runs files in parallel)
    // latency is noisy, so traffic keeps flowing, as in production, until the test has the
    // samples it needs: the alert must come within 2,000 requests (~200 canary samples).
    let alert;
    for (let round = 0; round < 5; round++) {
      await traffic(400);
      alert = await s.request('GET', '/admin/check-canary-health');
      if (alert.json.alert_triggered === true) break;
    }
    assert.ok(alert);
    assert.equal(alert.json.alert_triggered, true, JSON.stringify(alert.json));
    assert.equal(alert.json.message, 'ALERT: Canary latency is significantly higher than stable.');
    assert.ok(alert.json.p_value < 0.05);
    assert.ok(alert.json.canary_avg_latency_ms > alert.json.stable_avg_latency_ms + 5);

    // 7. Rollback, 8. stable only.
    const rolled = await s.request('POST', '/admin/rollback-canary');
    assert.deepEqual({ status: rolled.json.status, message: rolled.json.message }, { status: 'success', message: 'Canary rolled back successfully' });
    const after = await traffic(30);
    assert.ok(after.every((r) => r.json.model_used === 'stable'));
    const off = await s.request('POST', '/admin/toggle-slowdown');
    assert.equal(off.json.simulate_slowdown, false);
  });

  it('says how many more samples it needs before judging', async () => {
    await s.request('POST', '/admin/deploy-canary', { model_path: 'churn@2' });
    await traffic(10);
    const r = await s.request('GET', '/admin/check-canary-health');
    assert.equal(r.json.alert_triggered, false);
    assert.match(r.json.message, /Not enough data yet/);
    assert.ok(r.json.samples_needed === null || r.json.samples_needed.canary >= 0);
  });

  it('promotes a healthy canary, naming the previous and new stable models', async () => {
    await s.request('POST', '/admin/deploy-canary', { model_path: 'models:/churn/2' });
    const r = await s.request('POST', '/admin/promote-canary');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      status: 'success',
      message: 'Canary promoted to stable successfully',
      previous_stable_model: 'churn@1',
      new_stable_model: 'churn@2',
      previous_stable_version: 1,
      new_stable_version: 2,
    });
  });

  it('answers errors with clear 4xx replies and changes nothing', async () => {
    const before = (await s.request('GET', '/v1/models/churn')).json;
    const cases: [unknown, number, string][] = [
      [{ model_path: '../../etc/passwd' }, 400, 'invalid_path'],
      [{ model_path: '/etc/passwd' }, 400, 'invalid_path'],
      [{ model_path: 'models/../../x.onnx' }, 400, 'invalid_path'],
      [{ model_path: 'models/missing.onnx' }, 404, 'file_not_found'],
      [{ model_path: 'churn@9' }, 404, 'version_not_found'],
      [{ model_path: 'nothere@1' }, 404, 'model_not_found'],
      [{ model_path: 'escape.onnx' }, 400, 'invalid_path'],
      [{}, 400, 'invalid_request'],
    ];
    writeFileSync(join(outside, 'real.onnx'), linearRegressor());
    symlinkSync(join(outside, 'real.onnx'), join(s.dataDir, 'models', 'escape.onnx'));
    for (const [payload, status, code] of cases) {
      const r = await s.request('POST', '/admin/deploy-canary', payload);
      assert.equal(r.status, status, `${JSON.stringify(payload)}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, code);
    }
    const noCanary = await s.request('POST', '/admin/rollback-canary');
    assert.equal(noCanary.status, 409);
    assert.equal(noCanary.json.error.code, 'no_canary');
    const noPromote = await s.request('POST', '/admin/promote-canary');
    assert.equal(noPromote.status, 400);
    assert.match(noPromote.json.error.message, /no canary deployed/);
    assert.deepEqual((await s.request('GET', '/v1/models/churn')).json, before);
  });
});
