import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureRow, ModelSignature, ModelVersion, Prediction } from '../domain/index.js';
import { MicroBatchingRuntime, type SynchronousRuntime } from '../runtime/index.js';
import { RuntimePool, type RuntimeFactory } from './runtime-pool.js';

const signature = { task: 'binary_classifier' } as unknown as ModelSignature;
const version = (v: number): ModelVersion =>
  ({ model: 'm', version: v, createdAt: '', origin: '', description: '', signature, metrics: {}, source: { kind: 'onnx', sha256: 'x', bytes: 1 } }) as unknown as ModelVersion;

/** A synchronous in-process runtime that records each call's row count. */
function counting(calls: number[]): SynchronousRuntime {
  const score = (rows: readonly FeatureRow[]): Prediction[] => (calls.push(rows.length), rows.map(() => ({ prediction: 1, probability: 0.9 })));
  return { predictNow: score, predict: async (rows) => score(rows), describe: () => signature, close: async () => undefined };
}

describe('the runtime pool', () => {
  it('serves the primaries through the shared micro-batcher and hands the shadow the runtime itself', async () => {
    const calls: number[] = [];
    const raw = counting(calls);
    const onnx: RuntimeFactory = { open: async () => raw, batchable: true };
    const log = { info: () => undefined, warn: () => undefined };
    const pool = new RuntimePool({ onnx, upstream: onnx } as never, {} as never, log, { microBatchRows: 16 });
    await pool.ensureLoaded(version(1));
    await pool.ensureLoaded(version(2));
    const batched = pool.get('m', 1)!;
    assert.ok(batched instanceof MicroBatchingRuntime, 'the primaries get the micro-batcher');
    assert.equal(pool.unbatched('m', 2), raw, 'the shadow gets the runtime that scores at once');
    // Three requests in one turn are one call of three rows through the batcher…
    await Promise.all([batched.predict([[1]]), batched.predict([[2]]), batched.predict([[3]])]);
    assert.deepEqual(calls, [3]);
    // …while the unbatched runtime scores on the spot, in no one's turn.
    const now = (pool.unbatched('m', 2) as SynchronousRuntime).predictNow([[4], [5]]);
    assert.equal(now.length, 2);
    assert.deepEqual(calls, [3, 2]);
    assert.equal(pool.unbatched('m', 9), undefined, 'a version not loaded has none');
  });
});
