import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DEFAULT_SHADOW_POLICY, type FeatureRow, type ModelSignature, type ModelVersion, type Prediction } from '../domain/index.js';
import type { ModelRuntime } from '../runtime/index.js';
import type { ShadowOutcome, ShadowRecorder } from '../telemetry/index.js';
import type { RuntimePool } from './runtime-pool.js';
import { loopUtilization, shadowShare, ShadowRunner, type ShadowJob } from './shadow-runner.js';

/* Unit tests of the runner alone: the pool and the recorder are fakes that count what they were given. */

const signature: ModelSignature = {
  task: 'binary_classifier',
  inputs: [{ name: 'x', type: 'float32', rank: 2, width: 2 }],
  outputs: { probabilities: 'p' },
  classCount: 2,
  classLabels: null,
  opsets: {},
  producer: 'test',
  rewrites: [],
};
const version = (v: number): ModelVersion => ({ model: 'm', version: v, createdAt: '', origin: '', description: '', signature, metrics: {}, source: { kind: 'open-inference', url: 'http://127.0.0.1:1/v2/models/m' } });
const shadow = { id: 's', version: 2, sampleBp: 10_000, startedAt: '', policy: DEFAULT_SHADOW_POLICY, webhooks: [] };

function harness(answer: (rows: readonly FeatureRow[]) => Promise<Prediction[]>, opts: { maxInFlight?: number; utilization?: number; busyShare?: number; timeoutMs?: number; batchWindowMs?: number; shedBatchWindowMs?: number } = {}) {
  const calls: (readonly FeatureRow[])[] = [];
  const runtime: ModelRuntime = { predict: (rows) => (calls.push(rows), answer(rows)), describe: () => signature, close: async () => undefined };
  const pool = { unbatched: () => runtime, failure: () => undefined } as unknown as RuntimePool;
  const outcomes: ShadowOutcome[] = [];
  const offered: string[] = [];
  const recorder = { offered: (_s: string, _m: string, _v: number, o: string) => offered.push(o), record: (o: ShadowOutcome) => outcomes.push(o) } as unknown as ShadowRecorder;
  let r = 0;
  const runner = new ShadowRunner({
    pool,
    recorder,
    maxInFlight: opts.maxInFlight ?? 100,
    timeoutMs: opts.timeoutMs ?? 5000,
    maxBatchRows: 5,
    batchWindowMs: opts.batchWindowMs ?? 0,
    ...(opts.shedBatchWindowMs !== undefined ? { shedBatchWindowMs: opts.shedBatchWindowMs } : {}),
    busyShare: opts.busyShare ?? 0.05,
    utilization: () => opts.utilization ?? 0.2,
    random: () => (r++ % 10) / 10,
  });
  return { runner, calls, outcomes, offered };
}
const job = (id: string, rows: FeatureRow[]): ShadowJob => ({
  shadow,
  version: version(2),
  model: 'm',
  requestId: id,
  primaryVersion: version(1),
  rows,
  primary: rows.map(() => ({ prediction: 1, probability: 0.9 })),
  primaryLatencyMs: 1,
});
const echo = async (rows: readonly FeatureRow[]) => rows.map((row) => ({ prediction: 0, probability: (row as number[])[0]! }));
async function settled(runner: ShadowRunner): Promise<void> {
  for (let i = 0; i < 1000 && runner.inFlight > 0; i++) await nextTurn();
}

describe('ShadowRunner', () => {
  it('starts nothing before the next turn, then sends a turn\'s requests as one call and gives each its own rows back', async () => {
    const h = harness(echo);
    h.runner.offer(job('a', [[0.1, 0]]));
    h.runner.offer(job('b', [[0.2, 0], [0.3, 0]]));
    assert.equal(h.calls.length, 0, 'nothing runs on the request\'s own turn');
    await settled(h.runner);
    assert.equal(h.calls.length, 1);
    assert.deepEqual(h.calls[0], [[0.1, 0], [0.2, 0], [0.3, 0]]);
    const b = h.outcomes.find((o) => o.requestId === 'b')!;
    assert.deepEqual(b.shadow!.map((p) => p.probability), [0.2, 0.3]);
    assert.equal(h.outcomes.find((o) => o.requestId === 'a')!.shadow![0]!.probability, 0.1);
  });

  it('with a batch window, waits for it and sends what came meanwhile as one call; a full batch goes at once', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const h = harness(echo, { batchWindowMs: 10 });
    h.runner.offer(job('a', [[0.1, 0]]));
    await nextTurn();
    h.runner.offer(job('b', [[0.2, 0]]));
    await nextTurn();
    assert.equal(h.calls.length, 0, 'waiting for the window');
    t.mock.timers.tick(10);
    assert.equal(h.calls.length, 1);
    assert.deepEqual(h.calls[0], [[0.1, 0], [0.2, 0]]);
    h.runner.offer(job('c', [[1, 0], [2, 0], [3, 0]]));
    h.runner.offer(job('d', [[4, 0], [5, 0]]));
    assert.equal(h.calls.length, 1, 'not on the request\'s own turn, even when full');
    await nextTurn();
    assert.equal(h.calls.length, 2, '5 rows fill a batch: sent on the next turn, without waiting for the window');
    assert.deepEqual(h.calls[1]!.length, 5);
    t.mock.timers.reset();
    await settled(h.runner);
    assert.equal(h.outcomes.length, 4);
  });

  it('while shedding, waits the longer shed window, so the few requests still sent share a call', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    // Saturated: only busyShare (0.5) of sampled requests go; the harness's random draws 0, 0.1, 0.2…, so all of these do.
    const h = harness(echo, { batchWindowMs: 10, shedBatchWindowMs: 50, utilization: 0.95, busyShare: 0.5 });
    h.runner.offer(job('a', [[0.1, 0]]));
    h.runner.offer(job('b', [[0.2, 0]]));
    t.mock.timers.tick(10);
    assert.equal(h.calls.length, 0, 'the usual 10 ms window is not enough while shedding');
    t.mock.timers.tick(40);
    assert.equal(h.calls.length, 1, 'sent once the 50 ms shed window is over');
    assert.deepEqual(h.calls[0], [[0.1, 0], [0.2, 0]]);
    t.mock.timers.reset();
    await settled(h.runner);
    assert.equal(h.outcomes.length, 2);
  });

  it('splits a turn into calls of at most maxBatchRows rows', async () => {
    const h = harness(echo);
    for (let i = 0; i < 4; i++) h.runner.offer(job(`r${i}`, [[i, 0], [i, 1]]));
    await settled(h.runner);
    assert.deepEqual(h.calls.map((c) => c.length), [4, 4], '2 + 2 rows fit in 5; a third request starts the next call');
    assert.equal(h.outcomes.length, 4);
  });

  it('drops what is beyond the in-flight limit, and counts it', async () => {
    let release: () => void = () => undefined;
    const h = harness(() => new Promise((resolve) => (release = () => resolve([{ prediction: 1 }, { prediction: 1 }]))), { maxInFlight: 2 });
    for (let i = 0; i < 5; i++) h.runner.offer(job(`r${i}`, [[i, 0]]));
    await nextTurn();
    assert.equal(h.runner.inFlight, 2);
    assert.deepEqual(h.offered, ['sent', 'sent', 'dropped', 'dropped', 'dropped']);
    release();
    await settled(h.runner);
    assert.equal(h.outcomes.length, 2);
  });

  it('sheds all but busyShare of sampled requests while the server is saturated, and a growing share as it gets busy', async () => {
    const h = harness(echo, { utilization: 0.95, busyShare: 0.2 });
    for (let i = 0; i < 10; i++) h.runner.offer(job(`r${i}`, [[i, 0]]));
    assert.deepEqual(h.offered.filter((o) => o === 'sent').length, 2);
    assert.deepEqual(h.offered.filter((o) => o === 'shed').length, 8);
    // Half-way between 70% and 90% busy: half-way between all and busyShare (0.6 here).
    const easing = harness(echo, { utilization: 0.8, busyShare: 0.2 });
    for (let i = 0; i < 10; i++) easing.runner.offer(job(`r${i}`, [[i, 0]]));
    assert.deepEqual(easing.offered.filter((o) => o === 'sent').length, 6);
    const idle = harness(echo, { utilization: 0.5, busyShare: 0.2 });
    for (let i = 0; i < 10; i++) idle.runner.offer(job(`r${i}`, [[i, 0]]));
    assert.ok(idle.offered.every((o) => o === 'sent'), 'a loop with room sheds nothing');
    const never = harness(echo, { utilization: 1, busyShare: 1 });
    for (let i = 0; i < 10; i++) never.runner.offer(job(`r${i}`, [[i, 0]]));
    assert.ok(never.offered.every((o) => o === 'sent'), 'busyShare 1 never sheds');
  });

  it('eases the shadowed share from all at 70% event-loop utilization to busyShare at 90%, without a step', () => {
    assert.equal(shadowShare(0, 0.02), 1);
    assert.equal(shadowShare(0.7, 0.02), 1);
    assert.ok(Math.abs(shadowShare(0.8, 0.02) - 0.51) < 1e-9, `${shadowShare(0.8, 0.02)}`);
    assert.equal(shadowShare(0.9, 0.02), 0.02);
    assert.equal(shadowShare(1, 0.02), 0.02);
    assert.equal(shadowShare(1, 0), 0);
    assert.equal(shadowShare(0.95, 1), 1);
    let previous = 1;
    for (let u = 0; u <= 1.0001; u += 0.01) {
      const share = shadowShare(u, 0.05);
      assert.ok(share <= previous + 1e-12 && previous - share < 0.06, `no step at ${u.toFixed(2)}: ${previous} → ${share}`);
      previous = share;
    }
  });

  it('makes a row the shadow refuses, a failure and a timeout the shadow\'s errors', async () => {
    const h = harness(async () => {
      throw new Error('answered 500: boom\nstack');
    });
    h.runner.offer(job('bad', [['x' as unknown as number, 0]]));
    h.runner.offer(job('ok', [[0.1, 0]]));
    await settled(h.runner);
    assert.match(h.outcomes.find((o) => o.requestId === 'bad')!.error!, /x/);
    assert.equal(h.outcomes.find((o) => o.requestId === 'ok')!.error, 'answered 500: boom', 'the first line of the error');
    assert.equal(h.calls.length, 1, 'the refused request was never sent');

    const hung = harness(() => new Promise(() => undefined), { timeoutMs: 20 });
    hung.runner.offer(job('h', [[0.1, 0]]));
    await new Promise((r) => setTimeout(r, 100));
    await settled(hung.runner);
    assert.equal(hung.outcomes[0]!.error, 'no answer within 20 ms (COALMINE_SHADOW_TIMEOUT_MS)');
    assert.equal(hung.outcomes[0]!.shadow, null);

    const short = harness(async () => [{ prediction: 1 }]);
    short.runner.offer(job('s', [[0.1, 0], [0.2, 0]]));
    await settled(short.runner);
    assert.equal(short.outcomes[0]!.error, 'the shadow answered 1 rows for 2');
  });
});

describe('loopUtilization', () => {
  it('reads the busy share of each window of at least windowMs, and holds it in between', () => {
    // A fake event loop: `busy` and `idle` ms so far, and the clock they add up to.
    let busy = 0;
    let idle = 0;
    const run = (ms: number, busyShare: number) => ((busy += ms * busyShare), (idle += ms * (1 - busyShare)));
    type Elu = { active: number; idle: number; utilization: number };
    const elu = ((a?: Elu, b?: Elu): Elu => {
      if (a && b) return { active: a.active - b.active, idle: a.idle - b.idle, utilization: (a.active - b.active) / (a.active - b.active + a.idle - b.idle) };
      return { active: busy, idle, utilization: 0 };
    }) as unknown as typeof performance.eventLoopUtilization;
    const read = loopUtilization(10, elu, () => busy + idle);
    run(5, 1);
    assert.equal(read(), 0, 'no window is over yet: the first reading holds');
    run(5, 1);
    assert.equal(read(), 1, 'a saturated 10 ms');
    run(1000, 0.1);
    assert.ok(Math.abs(read() - 0.1) < 1e-9, 'a long quiet spell reads as what it was');
    run(4, 1);
    assert.ok(Math.abs(read() - 0.1) < 1e-9, 'until the next window is over, the last reading holds');
    run(6, 1);
    assert.equal(read(), 1, 'a burst after the quiet spell shows within 10 ms');
  });
});
