import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyVariantMetrics, type MetricWindow, type VariantMetrics, type VariantPair } from '../metrics/index.js';
import { MemoryRolloutStore } from '../store/index.js';
import { RolloutController, type StepMetrics } from './rollout-controller.js';
import type { RoutingState, TrafficRouter } from './traffic-router.js';

/**
 * The controller on fakes only: an in-memory store, a router that records what it is told, a
 * metric source that says what each variant did, and a clock the test moves. Nothing here waits
 * for real time or measures the machine, so every run takes the same path.
 */

/** Routing as a proxy would hold it, with every call recorded; `failNext` makes one call throw. */
class RecordingRouter implements TrafficRouter {
  state: RoutingState = { stableVersion: 1, canaryVersion: null, weightBp: 0, revision: 1 };
  readonly calls: string[] = [];
  failNext = false;

  private bump(change: Partial<RoutingState>): number {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('proxy unreachable');
    }
    this.state = { ...this.state, ...change, revision: this.state.revision + 1 };
    return this.state.revision;
  }
  async current(): Promise<RoutingState> {
    return this.state;
  }
  async check(_model: string, version: number): Promise<void> {
    if (version === this.state.stableVersion) throw new Error('already stable');
  }
  async apply(_model: string, version: number, weightBp: number): Promise<number> {
    this.calls.push(`apply v${version} ${weightBp / 100}%`);
    return this.bump({ canaryVersion: version, weightBp });
  }
  async promote(_model: string, version: number): Promise<void> {
    this.calls.push(`promote v${version}`);
    this.bump({ stableVersion: version, canaryVersion: null, weightBp: 0 });
  }
  async clear(): Promise<void> {
    this.calls.push('clear');
    this.bump({ canaryVersion: null, weightBp: 0 });
  }
}

/** What each variant did in the step's window: requests split by the routed weight, and an error rate. */
class FakeMetrics implements StepMetrics {
  errorRate = { stable: 0.01, canary: 0.01 };
  requests = 2000;
  /** Canary share of requests; null: the routed weight (a working split). */
  share: number | null = null;
  readonly windows: MetricWindow[] = [];
  constructor(private readonly router: RecordingRouter) {}

  private variant(name: 'stable' | 'canary', n: number): VariantMetrics {
    const errors = Math.round(n * this.errorRate[name]);
    return { ...emptyVariantMetrics(name), requests: n, errors, samples: { ...emptyVariantMetrics(name).samples, errors: { proportion: { successes: errors, trials: n } } } };
  }
  async read(_model: string, window: MetricWindow): Promise<VariantPair> {
    this.windows.push(window);
    const canary = Math.round(this.requests * (this.share ?? this.router.state.weightBp / 10_000));
    return { stable: this.variant('stable', this.requests - canary), canary: this.variant('canary', canary) };
  }
}

const ERROR_RATE = [{ metric: 'error_rate', critical: true, judge: { judge: 'threshold', statistic: 'rate', max: 0.05, minSamples: 20 } }];
const SPEC = { canary: 2, steps: [20, 50, 100], interval: '10s', bake: '10s', minSamples: 100, analysis: ERROR_RATE, webhooks: ['http://127.0.0.1:9/hook'] };
const silent = { info: () => undefined, warn: () => undefined };

function setup() {
  const clock = { now: Date.parse('2026-03-01T00:00:00Z') };
  const store = new MemoryRolloutStore();
  const router = new RecordingRouter();
  const metrics = new FakeMetrics(router);
  const controller = () => new RolloutController({ store, router, metrics, thresholds: { accuracyPct: 85, latencyMs: 100 }, now: () => clock.now, log: silent });
  return { clock, store, router, metrics, controller, c: controller() };
}

/** Time passes past the interval, then one reconcile pass: what the scheduler does each second. */
async function tick(s: ReturnType<typeof setup>, c = s.c, ms = 11_000) {
  s.clock.now += ms;
  await c.reconcile('churn');
  return c.get('churn');
}

describe('rollout controller on fakes', () => {
  it('walks a healthy canary through its steps, judging each step on its own window', async () => {
    const s = setup();
    let r = await s.c.start('churn', SPEC);
    assert.deepEqual(s.router.calls, ['apply v2 20%']);
    const stepRevision = r.stepRoutingRevision;
    assert.equal(stepRevision, s.router.state.revision, 'the step window starts at the revision its weight got');
    for (let i = 0; i < 5 && r.phase !== 'succeeded'; i++) r = await tick(s);
    assert.equal(r.phase, 'succeeded', r.history.map((d) => d.reason).join('\n'));
    assert.deepEqual(s.router.calls, ['apply v2 20%', 'apply v2 50%', 'promote v2']);
    assert.deepEqual(r.history.map((d) => d.action), ['start', 'advance', 'promote', 'succeed']);
    assert.deepEqual(r.history.filter((d) => d.analysis).map((d) => [d.analysis!.step, d.analysis!.weightBp]), [[0, 2000], [1, 5000]], 'each analysis names the step it judged');
    assert.equal(s.metrics.windows[0]!.minRevision, stepRevision);
    assert.equal(s.metrics.windows[1]!.minRevision, stepRevision! + 1, 'step 2 is judged only on traffic from its own revision');
    const phases = s.store.outbox.map((o) => JSON.parse(o.payload) as { to: string; decision: { step: number; weight: number } });
    assert.deepEqual(phases.map((p) => p.to), ['progressing', 'promoting', 'succeeded'], 'a webhook per phase change, saved with it');
    assert.equal(phases[1]!.decision.weight, 50, 'webhook decisions are API views (percent weights)');
  });

  it('rolls back at the first step when a critical metric fails, and clears the canary', async () => {
    const s = setup();
    await s.c.start('churn', SPEC);
    s.metrics.errorRate.canary = 0.2;
    const r = await tick(s);
    assert.equal(r.phase, 'rolled_back');
    assert.equal(r.stepIndex, 0);
    assert.match(r.reason!, /critical metric failed \(error_rate/);
    assert.deepEqual(s.router.calls, ['apply v2 20%', 'clear']);
    assert.equal(s.router.state.canaryVersion, null);
  });

  it('holds within failureLimit and rolls back past it', async () => {
    const s = setup();
    await s.c.start('churn', { ...SPEC, analysis: [{ ...ERROR_RATE[0]!, critical: false }], failureLimit: 1 });
    s.metrics.errorRate.canary = 0.2;
    let r = await tick(s);
    assert.equal(r.phase, 'progressing');
    assert.equal(r.consecutiveFailures, 1);
    r = await tick(s);
    assert.equal(r.phase, 'rolled_back');
    assert.match(r.reason!, /2 failed analyses, more than the 1 tolerated/);
  });

  it('pauses instead of judging when the split does not match the weight', async () => {
    const s = setup();
    await s.c.start('churn', SPEC);
    s.metrics.share = 0.02;
    const r = await tick(s);
    assert.equal(r.phase, 'paused');
    assert.match(r.history.at(-1)!.reason, /not judged: .*sample ratio/i);
    assert.deepEqual(s.router.calls, ['apply v2 20%'], 'routing is left alone while paused');
  });

  it('a routing call that fails after the decision was saved is repaired by the next pass', async () => {
    const s = setup();
    await s.c.start('churn', SPEC);
    s.router.failNext = true;
    let r = await tick(s);
    assert.equal(r.stepIndex, 1, 'the advance was saved');
    assert.equal(s.router.state.weightBp, 2000, '... but the proxy did not take the new weight');
    assert.equal(r.stepRoutingRevision, null);
    s.clock.now += 1000;
    await s.c.reconcile('churn');
    r = await s.c.get('churn');
    assert.equal(s.router.state.weightBp, 5000, 'the next pass applies the saved step');
    assert.equal(r.stepRoutingRevision, s.router.state.revision);
  });

  it('a restarted controller resumes at the same step, with the bake time running from when it began', async () => {
    const s = setup();
    await s.c.start('churn', { ...SPEC, bake: '60s' });
    await tick(s, s.c, 30_000);
    const restarted = s.controller();
    await restarted.recover(['churn']);
    let r = await restarted.get('churn');
    assert.equal(r.stepIndex, 0);
    assert.match(r.history.at(-1)!.reason, /baking until/);
    r = await tick(s, restarted, 31_000);
    assert.equal(r.stepIndex, 1, 'advances once 60 s have passed since the step began, not since the restart');
    assert.deepEqual(s.router.calls, ['apply v2 20%', 'apply v2 50%'], 'no step was applied twice');
  });

  it('rolls back when maxDuration runs out, and pauses on a still-inconclusive step with the pause policy', async () => {
    const s = setup();
    await s.c.start('churn', { ...SPEC, maxDuration: '1m', bake: '10m' });
    const r = await tick(s, s.c, 61_000);
    assert.equal(r.phase, 'rolled_back');
    assert.match(r.reason!, /not finished within maxDuration/);

    const p = setup();
    // Enough canary requests for the step, too few for the judge: inconclusive after the bake time.
    await p.c.start('churn', { ...SPEC, inconclusive: 'pause', analysis: [{ ...ERROR_RATE[0]!, judge: { ...ERROR_RATE[0]!.judge, minSamples: 100_000 } }] });
    const q = await tick(p);
    assert.equal(q.phase, 'paused', q.history.at(-1)!.reason);
    assert.match(q.reason!, /inconclusive after bake time/);
  });
});
