import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureRow, ModelSignature, Prediction } from '../domain/index.js';
import { BatchTurn, MicroBatchingRuntime } from './micro-batching.js';
import { scoresSynchronously, settlesNextTurn, type ModelRuntime, type SynchronousRuntime } from './model-runtime.js';

/**
 * Scores a row as the sum of its features, and records every call it gets. Promise-based like an
 * out-of-process model, or also synchronous (`SyncSummingRuntime`) like the in-process ONNX runtime.
 */
class SummingRuntime implements ModelRuntime {
  readonly calls: number[][] = [];
  closed = false;
  failOn: number | undefined;

  constructor(private readonly events?: { name: string; log: string[] }) {}

  protected score(input: readonly FeatureRow[]): Prediction[] {
    const rows = input as readonly (readonly number[])[];
    this.calls.push(rows.map((r) => r[0]!));
    this.events?.log.push(`call ${this.events.name}`);
    if (rows.some((r) => r[0] === this.failOn)) throw new Error(`cannot score ${this.failOn}`);
    return rows.map((r) => ({ prediction: r.reduce((a, b) => a + b, 0) }));
  }

  async predict(rows: readonly FeatureRow[]): Promise<Prediction[]> {
    await new Promise((r) => setImmediate(r));
    return this.score(rows);
  }

  describe(): ModelSignature {
    return { task: 'regressor' } as ModelSignature;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

class SyncSummingRuntime extends SummingRuntime implements SynchronousRuntime {
  predictNow(rows: readonly FeatureRow[]): Prediction[] {
    return this.score(rows);
  }
}

const summing = (synchronous: boolean, events?: { name: string; log: string[] }): SummingRuntime =>
  synchronous ? new SyncSummingRuntime(events) : new SummingRuntime(events);

const row = (id: number): FeatureRow => [id, 0.5];

for (const synchronous of [false, true]) describe(`micro-batching over a ${synchronous ? 'synchronous' : 'promise-based'} runtime`, () => {
  it('scores requests of the same event-loop turn in one call, each getting its own rows back', async () => {
    const inner = summing(synchronous);
    const batched = MicroBatchingRuntime.over(inner, { maxRows: 64 });
    const replies = await Promise.all([batched.predict([row(1)]), batched.predict([row(2), row(3)]), batched.predict([row(4)])]);
    assert.deepEqual(inner.calls, [[1, 2, 3, 4]]);
    assert.deepEqual(replies, [[{ prediction: 1.5 }], [{ prediction: 2.5 }, { prediction: 3.5 }], [{ prediction: 4.5 }]]);
  });

  it('adds no wait for a lone request, and requests of later turns get calls of their own', async () => {
    const inner = summing(synchronous);
    const batched = MicroBatchingRuntime.over(inner, { maxRows: 64 });
    const started = performance.now();
    assert.deepEqual(await batched.predict([row(1)]), [{ prediction: 1.5 }]);
    assert.ok(performance.now() - started < 20, 'a lone request is scored in the next turn, with no timer');
    // Only over a synchronous runtime can the batcher promise an answer by the next turn (callers then skip their deadline).
    assert.equal(settlesNextTurn(batched), synchronous);
    assert.equal(scoresSynchronously(inner), synchronous);
    await batched.predict([row(2)]);
    assert.deepEqual(inner.calls, [[1], [2]]);
  });

  it('never puts more than maxRows in one call; a larger request runs alone', async () => {
    const inner = summing(synchronous);
    const seen: [number, number][] = [];
    const batched = MicroBatchingRuntime.over(inner, { maxRows: 4, onBatch: (rows, requests) => seen.push([rows, requests]) });
    const big = [row(10), row(11), row(12), row(13), row(14), row(15)];
    await Promise.all([batched.predict([row(1), row(2)]), batched.predict([row(3), row(4)]), batched.predict([row(5)]), batched.predict(big), batched.predict([row(6)])]);
    assert.deepEqual(inner.calls, [[1, 2, 3, 4], [5], [10, 11, 12, 13, 14, 15], [6]]);
    assert.deepEqual(seen, [[4, 2], [1, 1], [6, 1], [1, 1]]);
  });

  it('when a batch fails, scores each request alone so only the one that causes it fails', async () => {
    const inner = summing(synchronous);
    inner.failOn = 2;
    const batched = MicroBatchingRuntime.over(inner, { maxRows: 64 });
    const results = await Promise.allSettled([batched.predict([row(1)]), batched.predict([row(2)]), batched.predict([row(3)])]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /cannot score 2/);
    assert.deepEqual((results[2] as PromiseFulfilledResult<Prediction[]>).value, [{ prediction: 3.5 }]);
  });

  it('close scores what is queued, then closes the model and refuses new work', async () => {
    const inner = summing(synchronous);
    const batched = MicroBatchingRuntime.over(inner, { maxRows: 64 });
    const queued = batched.predict([row(7)]);
    await batched.close();
    assert.deepEqual(await queued, [{ prediction: 7.5 }]);
    assert.equal(inner.closed, true);
    await assert.rejects(batched.predict([row(8)]), /unloaded/);
  });
});

describe('stable and canary batchers sharing a turn', () => {
  // Each request's answer is logged when its caller's continuation runs, which is when the
  // service reads the request's latency.
  function pair() {
    const log: string[] = [];
    const turn = new BatchTurn();
    const stableModel = summing(true, { name: 'stable', log });
    const canaryModel = summing(true, { name: 'canary', log });
    const stable = MicroBatchingRuntime.over(stableModel, { maxRows: 64, turn });
    const canary = MicroBatchingRuntime.over(canaryModel, { maxRows: 64, turn });
    const ask = (batcher: MicroBatchingRuntime, name: string, id: number) =>
      batcher.predict([row(id)]).then(
        (p) => log.push(`answer ${name}${id} ${p[0]!.prediction}`),
        (err: unknown) => log.push(`error ${name}${id} ${String(err)}`),
      );
    return { log, stable, canary, stableModel, canaryModel, ask };
  }

  it('runs every model call of the turn before answering, then answers in arrival order whatever the variant', async () => {
    const { log, stable, canary, ask } = pair();
    await Promise.all([ask(stable, 's', 1), ask(canary, 'c', 2), ask(stable, 's', 3), ask(stable, 's', 4), ask(canary, 'c', 5)]);
    // With a flush per version, the canary's call came after stable's requests were all answered.
    assert.deepEqual(log, ['call stable', 'call canary', 'answer s1 1.5', 'answer c2 2.5', 'answer s3 3.5', 'answer s4 4.5', 'answer c5 5.5']);
  });

  it('is the same when the canary has the turn\'s first request', async () => {
    const { log, stable, canary, ask } = pair();
    await Promise.all([ask(canary, 'c', 1), ask(stable, 's', 2), ask(canary, 'c', 3)]);
    assert.deepEqual(log, ['call canary', 'call stable', 'answer c1 1.5', 'answer s2 2.5', 'answer c3 3.5']);
  });

  it('keeps a failing request to its own version and its own answer', async () => {
    const { log, stable, canary, canaryModel, ask } = pair();
    canaryModel.failOn = 2;
    await Promise.all([ask(stable, 's', 1), ask(canary, 'c', 2), ask(canary, 'c', 3), ask(stable, 's', 4)]);
    assert.deepEqual(log, ['call stable', 'call canary', 'call canary', 'call canary', 'answer s1 1.5', 'error c2 Error: cannot score 2', 'answer c3 3.5', 'answer s4 4.5']);
  });

  it('lets one version close mid-turn: its requests are scored at once, the other\'s stay in the turn', async () => {
    const { log, stable, canary, stableModel, canaryModel, ask } = pair();
    const answers = [ask(stable, 's', 1), ask(canary, 'c', 2), ask(stable, 's', 3)];
    await canary.close();
    assert.equal(canaryModel.closed, true);
    await Promise.all(answers);
    assert.deepEqual(log, ['call canary', 'answer c2 2.5', 'call stable', 'answer s1 1.5', 'answer s3 3.5']);
    assert.deepEqual(stableModel.calls, [[1, 3]]);
  });
});
