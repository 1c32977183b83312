import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const body = { features: [0.5, 1.2, 0.8, 0.3, 1.1] };
const fault = (b: unknown) => s.request('POST', '/v1/models/churn/faults', b);

describe('fault injection', () => {
  it('a failing canary is answered by stable, and its errors still count against it', async () => {
    await s.request('POST', '/v1/models/churn/reset');
    const set = await fault({ variant: 'canary', errors: 1 });
    assert.deepEqual(set.json.faults, { canary: { wrong: 0, delay_ms: 0, errors: 1 } });
    const replies = await Promise.all(Array.from({ length: 300 }, () => s.request('POST', '/v1/models/churn/predict', body)));
    assert.ok(replies.every((r) => r.status === 200), 'callers see no error');
    const fallbacks = replies.filter((r) => r.json.fallback === true);
    assert.ok(fallbacks.length > 30, `fallbacks ${fallbacks.length}`);
    assert.ok(fallbacks.every((r) => r.json.variant === 'stable' && r.json.version === 1));
    const m = (await s.request('GET', '/v1/models/churn/metrics')).json;
    assert.equal(m.variants.canary.errors, fallbacks.length);
    assert.equal(m.variants.canary.error_rate, 1);
    assert.equal(m.variants.stable.errors, 0);
    assert.equal(m.variants.stable.requests, 300 - fallbacks.length, 'a fallback is not counted as stable traffic, so the split stays honest');
    const forced = await s.request('POST', '/v1/models/churn/predict', body, { 'x-coalmine-variant': 'canary' });
    assert.equal(forced.status, 500);
    assert.equal(forced.json.error.code, 'model_error');
    assert.match(forced.json.error.message, /canary version 2 of "churn" failed: injected fault/);
  });

  it('when stable fails too, the caller gets stable\'s error, named once', async () => {
    await s.request('POST', '/v1/models/churn/reset');
    await fault({ variant: 'canary', errors: 1 });
    await fault({ variant: 'stable', errors: 1 });
    try {
      const replies = await Promise.all(Array.from({ length: 60 }, () => s.request('POST', '/v1/models/churn/predict', body)));
      assert.ok(replies.every((r) => r.status === 500 && r.json.error.code === 'model_error'));
      // Requests routed to the canary fell back to stable and failed there: the message is stable's.
      assert.ok(replies.every((r) => /^stable version 1 of "churn" failed: injected fault/.test(r.json.error.message)), replies[0]!.json.error.message);
      assert.ok(replies.every((r) => !/failed: .*failed:/.test(r.json.error.message)), 'no doubled prefix');
      const m = (await s.request('GET', '/v1/models/churn/metrics')).json;
      assert.ok(m.variants.canary.errors > 0 && m.variants.stable.errors > 0, JSON.stringify(m.variants));
    } finally {
      await fault({ clear: true });
    }
  });

  it('adds latency and wrong answers where asked, and shows it in status and metrics', async () => {
    await s.request('POST', '/v1/models/churn/reset');
    const rows = churnRows(40, 3);
    // Four at a time, so latency_ms measures the model call and its fault, not a queue of 40.
    const ask = async () => {
      const out: Awaited<ReturnType<typeof s.request>>[] = [];
      for (let i = 0; i < rows.length; i += 4) out.push(...(await Promise.all(rows.slice(i, i + 4).map((r) => s.request('POST', '/v1/models/churn/predict', { features: r.features }, { 'x-coalmine-variant': 'canary' })))));
      return out;
    };
    const clean = await ask();
    await fault({ variant: 'canary', delay_ms: [20, 25], wrong: 1 });
    const faulty = await ask();
    // ≥ 19, not 20: Node's timers may fire up to a millisecond early by performance.now().
    assert.ok(faulty.every((r) => r.json.latency_ms >= 19), `every canary reply took the added latency: ${faulty.map((r) => r.json.latency_ms).join(', ')}`);
    // Medians, not every request: on a loaded machine a clean one may still queue past 20 ms.
    const median = (xs: { json: { latency_ms: number } }[]) => xs.map((r) => r.json.latency_ms).sort((a, b) => a - b)[xs.length >> 1]!;
    assert.ok(median(clean) + 10 < median(faulty), `clean median ${median(clean)} ms, faulty median ${median(faulty)} ms`);
    faulty.forEach((r, i) => {
      const c = clean[i]!.json;
      assert.equal(r.json.prediction, 1 - c.prediction, `row ${i}: the class is flipped`);
      assert.ok(Math.abs(r.json.probability - (1 - c.probability)) < 1e-9, `row ${i}: the probability is mirrored`);
    });
    // The median of five: a single reply can be held up past 20 ms by a stall of a loaded machine
    // (it happened in a full parallel test run), and a delayed stable would take ≥ 20 ms in all five.
    const stable: Awaited<ReturnType<typeof s.request>>[] = [];
    for (const r of rows.slice(0, 5)) stable.push(await s.request('POST', '/v1/models/churn/predict', { features: r.features }, { 'x-coalmine-variant': 'stable' }));
    assert.ok(median(stable) < 20, `stable is untouched: ${stable.map((r) => r.json.latency_ms).join(', ')} ms`);
    const status = (await s.request('GET', '/v1/models/churn')).json;
    assert.deepEqual(status.faults, { canary: { wrong: 1, delay_ms: [20, 25], errors: 0 } });
    assert.deepEqual((await s.request('GET', '/v1/models/churn/metrics')).json.faults, status.faults);
    const cleared = await fault({ clear: true });
    assert.deepEqual(cleared.json.faults, {});
  });

  it('refuses bad fault settings and changes nothing', async () => {
    const before = (await s.request('GET', '/v1/models/churn/faults')).json;
    for (const bad of [{ variant: 'canary', wrong: 1.5 }, { variant: 'canary', errors: -1 }, { variant: 'canary', delay_ms: [30, 10] }, { variant: 'blue', wrong: 0.1 }, { wrong: 0.1 }, { variant: 'canary', wrong: 0.1, clear: true }, { variant: 'canary', delay_ms: '20ms' }]) {
      const r = await fault(bad);
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    assert.deepEqual((await s.request('GET', '/v1/models/churn/faults')).json, before);
  });
});

describe('Prometheus metrics', () => {
  it('exposes standard names and units, valid for promtool', async () => {
    const sum = (text: string, re: RegExp) => [...text.matchAll(re)].reduce((acc, m) => acc + Number(m[1]), 0);
    const tallies = (text: string) => ({
      requests: sum(text, /^coalmine_requests_total\{model="churn",[^}]*forced="false"\} (\S+)$/gm),
      latencyCount: sum(text, /^coalmine_request_duration_seconds_count\{model="churn"[^}]*\} (\S+)$/gm),
      latencyInf: sum(text, /^coalmine_request_duration_seconds_bucket\{model="churn",[^}]*le="\+Inf"\} (\S+)$/gm),
      batched: sum(text, /^coalmine_model_batch_requests_sum\{model="churn"[^}]*\} (\S+)$/gm),
    });
    const before = tallies(await (await fetch(`${s.url}/metrics`)).text());
    await Promise.all(churnRows(50, 8).map((r) => s.request('POST', '/predict', { features: r.features, label: r.label })));
    const res = await fetch(`${s.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    for (const name of ['coalmine_requests_total', 'coalmine_predictions_total', 'coalmine_request_duration_seconds_bucket', 'coalmine_labels_total', 'coalmine_correct_predictions_total', 'coalmine_canary_weight_ratio', 'coalmine_model_errors_total']) {
      assert.match(text, new RegExp(`^${name}\\{`, 'm'), `has ${name}`);
    }
    assert.match(text, /^coalmine_canary_weight_ratio\{model="churn"\} 0\.2$/m);
    assert.match(text, /^coalmine_rollout_phase\{model="churn",phase="none"\} 1$/m);
    assert.match(text, /^coalmine_rollout_phase\{model="churn",phase="progressing"\} 0$/m);
    // The tallies add up: each of the 50 requests counted once, in one latency bucket, and in the
    // batch-size histogram of the model call that scored it.
    const after = tallies(text);
    assert.deepEqual(
      { requests: after.requests - before.requests, latencyCount: after.latencyCount - before.latencyCount, latencyInf: after.latencyInf - before.latencyInf, batched: after.batched - before.batched },
      { requests: 50, latencyCount: 50, latencyInf: 50, batched: 50 },
    );
    const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find(existsSync);
    if (!promtool) {
      if (process.env.CI) assert.fail('promtool is required in CI (.ci/run installs Debian prometheus)');
      console.warn('\n  ⚠ SKIPPING promtool check: promtool not installed (apt-get install prometheus); .ci/run installs it\n');
      return;
    }
    execFileSync(promtool, ['check', 'metrics'], { input: text });
  });
});
