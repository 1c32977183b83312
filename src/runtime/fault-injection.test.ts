import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultConfig, FeatureRow, ModelSignature, Prediction } from '../domain/index.js';
import { FaultInjectingRuntime } from './fault-injection.js';
import type { ModelRuntime, PredictOptions } from './model-runtime.js';

const signature = { task: 'binary_classifier', classCount: 2 } as unknown as ModelSignature;
const inner: ModelRuntime = {
  predict: async (rows: readonly FeatureRow[]): Promise<Prediction[]> => rows.map(() => ({ prediction: 1, probability: 0.9 })),
  describe: () => signature,
  close: async () => undefined,
};
const fault = (ms: number): FaultConfig => ({ wrongRate: 0, delayMs: [ms, ms], errorRate: 0 });
const delayed = (ms: number) => new FaultInjectingRuntime(inner, fault(ms), () => 0.5);

describe('fault injection', () => {
  it('delays the answer by the configured time', async () => {
    const t0 = performance.now();
    const out = await delayed(30).predict([[1]]);
    assert.equal(out.length, 1);
    assert.ok(performance.now() - t0 >= 25, 'the answer came after the delay');
  });

  it('ends a delay at once when the caller cancels through onCancel, without touching an AbortSignal', async () => {
    let cancel: ((reason: unknown) => void) | undefined;
    const opts: PredictOptions = {
      get signal(): AbortSignal {
        throw new Error('the signal must not be read when onCancel is offered');
      },
      onCancel: (fn) => {
        cancel = fn;
      },
    };
    const call = delayed(60_000).predict([[1]], opts);
    assert.ok(cancel, 'the delay registered for cancellation');
    cancel(new DOMException('gave up', 'TimeoutError'));
    await assert.rejects(call, { name: 'TimeoutError' });
  });

  it('ends a delay when a signal aborts, for callers that offer only a signal', async () => {
    const controller = new AbortController();
    const call = delayed(60_000).predict([[1]], { signal: controller.signal });
    controller.abort(new Error('stopped waiting'));
    await assert.rejects(call, /stopped waiting/);
  });
});
