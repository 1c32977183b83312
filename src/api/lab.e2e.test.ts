import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

let seed = 100;
/** The lab's `send_requests.py send n`: labelled rows to POST /predict, a few at a time like a real client. */
async function send(n: number): Promise<{ canary: number; stable: number }> {
  const rows = churnRows(n, seed++);
  const replies: Awaited<ReturnType<TestServer['request']>>[] = [];
  for (let i = 0; i < rows.length; i += 8) {
    replies.push(...(await Promise.all(rows.slice(i, i + 8).map((r) => s.request('POST', '/predict', { features: r.features, label: r.label })))));
  }
  assert.ok(replies.every((r) => r.status === 200), 'every labelled prediction succeeds');
  return { canary: replies.filter((r) => r.json.model_used === 'canary').length, stable: replies.filter((r) => r.json.model_used === 'stable').length };
}
const labMetrics = async () => (await s.request('GET', '/metrics', undefined, { accept: 'application/json' })).json;

describe('the canary lab (seeds 000/001) on coalmine', () => {
  it('Exercise 1: traffic splits about 20% to the canary and the metrics show it', async () => {
    const reset = await s.request('POST', '/reset');
    assert.equal(reset.status, 200);
    assert.equal(reset.json.canary_percentage, 20);
    const sent = await send(50);
    const m = await labMetrics();
    assert.equal(m.canary_percentage, 20);
    assert.equal(m.production.requests, sent.stable);
    assert.equal(m.canary.requests, sent.canary);
    assert.equal(m.production.requests + m.canary.requests, 50);
    assert.equal(m.production.labelled, sent.stable);
    assert.ok(m.production.accuracy > 70 && m.production.accuracy <= 100, `production accuracy ${m.production.accuracy}`);
    assert.ok(m.production.avg_latency_ms > 0);
    assert.equal(typeof m.canary.p95_latency_ms, 'number');
    assert.equal(m.simulate_failure, false);
  });

  it('Exercise 2: a gradual rollout, 5% → 10% → 20% → 50% → 100%', async () => {
    await s.request('POST', '/reset');
    for (const pct of [5, 10, 20, 50, 100]) {
      const r = await s.request('POST', `/set_canary/${pct}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.canary_percentage, pct);
      const sent = await send(30);
      if (pct === 100) assert.equal(sent.canary, 30, 'at 100% every request goes to the canary');
    }
    const m = await labMetrics();
    assert.equal(m.canary_percentage, 100);
    assert.equal(m.production.requests + m.canary.requests, 150, 'metrics count everything since the reset');
    assert.ok(m.canary.requests >= 30);
    const bad = await s.request('POST', '/set_canary/120');
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_weight');
  });

  it('Exercise 3: failure simulation drops canary accuracy and the rollback check sets the canary to 0%', async () => {
    await s.request('POST', '/reset');
    assert.equal((await labMetrics()).canary_percentage, 20);
    const fail = await s.request('POST', '/simulate_failure/1');
    assert.deepEqual(fail.json.simulate_failure, true);
    await send(200);
    const before = await labMetrics();
    assert.ok(before.canary.accuracy < 85, `canary accuracy ${before.canary.accuracy} should fall below 85 with 40% wrong answers`);
    assert.equal(before.simulate_failure, true);
    const check = await s.request('POST', '/check_rollback');
    assert.equal(check.status, 200);
    assert.equal(check.json.rollback_triggered, true);
    assert.equal(check.json.reason, 'accuracy');
    assert.equal(check.json.canary_percentage, 0);
    assert.equal(check.json.canary_accuracy, before.canary.accuracy);
    assert.match(check.json.alert, /ROLLBACK \(accuracy\): canary accuracy is [\d.]+%, below the minimum of 85%/);
    const afterwards = await labMetrics();
    assert.equal(afterwards.canary_percentage, 0);
    const sent = await send(40);
    assert.equal(sent.canary, 0, 'all traffic goes to production after the rollback');
    const again = await s.request('POST', '/reset');
    assert.equal(again.json.canary_percentage, 20, 'reset brings the canary back for the next exercise');
    assert.equal((await labMetrics()).simulate_failure, false, 'reset turns failure simulation off');
  });

  it('a healthy canary passes the rollback check', async () => {
    await s.request('POST', '/reset');
    // 400, not 200: the canary (~95% accurate on these rows) gets ~80 of them, where ~40 fell
    // below the 85% minimum by chance about once in 240 runs (binomial; 1 in 4,000 at 80). A CI run
    // failed this check once, though its reason (accuracy or p95) went unrecorded; the message now says.
    await send(400);
    const check = await s.request('POST', '/check_rollback');
    assert.equal(check.json.rollback_triggered, false, `${check.json.alert}: accuracy ${check.json.canary_accuracy}% of ${check.json.canary_labelled}, p95 ${check.json.canary_p95_latency_ms} ms`);
    assert.match(check.json.message, /canary healthy/);
    assert.equal(check.json.canary_percentage, 20);
  });

  it('Bonus: p95 latency above LATENCY_THRESHOLD triggers the rollback, naming latency', async () => {
    await s.request('POST', '/reset');
    const slow = await s.request('POST', '/v1/models/churn/faults', { variant: 'canary', delay_ms: 130 });
    assert.equal(slow.status, 200);
    await send(120);
    const check = await s.request('POST', '/check_rollback');
    assert.equal(check.json.rollback_triggered, true);
    assert.equal(check.json.reason, 'latency');
    assert.ok(check.json.canary_p95_latency_ms > 100);
    assert.match(check.json.alert, /p95 latency is [\d.]+ ms, above the limit of 100 ms/);
    await s.request('POST', '/reset');
  });

  it('rejects malformed lab calls with clear errors', async () => {
    assert.equal((await s.request('POST', '/simulate_failure/maybe')).status, 400);
    assert.equal((await s.request('POST', '/set_canary/abc')).json.error.code, 'invalid_weight');
  });
});

describe('Exercise 4: a stricter accuracy threshold', () => {
  it('ACCURACY_THRESHOLD is honoured: at 99 even the healthy canary is rolled back', async () => {
    const strict = await startTestServer({ overrides: { accuracyThresholdPct: 99, latencyThresholdMs: 60_000 } });
    try {
      // The latency limit is lifted so a loaded machine cannot add a latency reason to this accuracy test.
      // 1,000 rows: ~200 reach the canary, so a 94% model cannot pass 99% by luck (0.94^200 ≈ 4e-6).
      const rows = churnRows(1000, 999);
      for (let i = 0; i < rows.length; i += 100) await Promise.all(rows.slice(i, i + 100).map((r) => strict.request('POST', '/predict', { features: r.features, label: r.label })));
      const check = await strict.request('POST', '/check_rollback');
      assert.equal(check.json.accuracy_threshold, 99);
      assert.equal(check.json.rollback_triggered, true);
      assert.equal(check.json.reason, 'accuracy');
    } finally {
      await strict.close();
    }
  });
});
