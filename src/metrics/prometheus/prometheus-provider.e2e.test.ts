import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assess } from '../../analysis/index.js';
import { startOpenInferenceServer, type RunningServer, type TestModel } from '../../test-support/model-servers/index.js';
import { prometheusUnavailable, startPrometheus, type RunningPrometheus } from '../../test-support/prometheus.js';
import { defaultAnalysis } from '../analysis-specs.js';
import { PrometheusProvider } from './prometheus-provider.js';

/**
 * The mlserver preset against a real Prometheus scraping two model servers that export MLServer's
 * metrics (a request-duration histogram among them): the buckets come back as quantiles and
 * moments, and the judges catch a canary 30 ms slower.
 */
const skip = prometheusUnavailable() ?? false;
const MODEL: TestModel = { name: 'churn', inputs: [{ name: 'input', width: 3 }], weights: [1, -1, 0.5], bias: 0 };
let stable: RunningServer;
let canary: RunningServer;
let prometheus: RunningPrometheus;

describe('the Prometheus provider against a real Prometheus', { skip }, () => {
  before(async () => {
    [stable, canary] = [await startOpenInferenceServer(MODEL), await startOpenInferenceServer(MODEL)];
    canary.knobs.delayMs = 30;
    prometheus = await startPrometheus([`${stable.url}/metrics`, `${canary.url}/metrics`]);
  });
  after(async () => {
    await prometheus?.stop();
    await Promise.all([stable?.close(), canary?.close()]);
  });

  it('reads histogram buckets as latency quantiles and means, and the judges see the slower canary', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.2, 0.3] }] });
    // Both servers scraped at least once before the traffic, so increase() has a starting point.
    await sleep(1500);
    const from = Date.now();
    for (let i = 0; i < 40; i++) {
      await Promise.all(
        [stable, canary].flatMap((s) => [0, 1, 2].map(() => fetch(`${s.url}/v2/models/churn/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((r) => r.arrayBuffer()))),
      );
      await sleep(30);
    }
    // Two more scrapes, so the last of the traffic is in Prometheus.
    await sleep(2500);
    const provider = new PrometheusProvider({ provider: 'prometheus', url: prometheus.url, preset: 'mlserver', queries: {}, latencyUnit: 's', errorLimit: 4, timeoutMs: 5000 }, 'churn');
    const host = (s: RunningServer) => new URL(s.url).host;
    const m = await provider.measure({ from, to: Date.now() }, {
      stable: { version: 1, server: host(stable), address: host(stable), backend: '' },
      canary: { version: 2, server: host(canary), address: host(canary), backend: '' },
    });
    assert.ok(m.ok, JSON.stringify(m));
    assert.deepEqual(m.missing, []);
    for (const v of [m.pair.stable, m.pair.canary]) {
      // 120 requests each; increase() extrapolates to the window's edges.
      assert.ok(v.requests >= 100 && v.requests <= 170, `${v.variant}: ${v.requests} requests`);
      assert.equal(v.errors, 0, 'no failures is 0 failures, not missing');
    }
    assert.ok(m.pair.stable.latencyMs.p50! < 10, `stable p50 ${m.pair.stable.latencyMs.p50} ms`);
    assert.ok(m.pair.canary.latencyMs.p50! >= 25 && m.pair.canary.latencyMs.p50! <= 50, `canary p50 ${m.pair.canary.latencyMs.p50} ms, in the (25, 50] ms bucket`);
    assert.ok(m.pair.canary.latencyMs.mean! >= 30 && m.pair.canary.latencyMs.mean! < 60, `canary mean ${m.pair.canary.latencyMs.mean} ms, from _sum/_count`);
    const bound = defaultAnalysis({ accuracyPct: 85, latencyMs: 100 }, provider.latencyForm);
    const a = assess({ metrics: bound.map((b) => ({ spec: b.spec, stable: b.pick(m.pair.stable), canary: b.pick(m.pair.canary) })) });
    const latency = a.verdicts.find((v) => v.metric === 'latency')!;
    assert.equal(latency.status, 'fail', latency.reason);
    assert.equal(a.verdicts.find((v) => v.metric === 'error_rate')!.status !== 'fail', true);
  });
});
