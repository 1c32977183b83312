import type { FaultConfig, FeatureRow, ModelSignature, Prediction } from '../domain/index.js';
import type { ModelRuntime, PredictOptions } from './model-runtime.js';

/** The error an injected fault raises: a model error for the variant, like a real crash. */
export class InjectedFaultError extends Error {
  constructor() {
    super('injected fault: simulated model error');
    this.name = 'InjectedFaultError';
  }
}

/**
 * The injected delay. It ends early if the caller stops waiting, so a long delay on a timed-out
 * call holds no timer (nor the rows it closes over): through `onCancel` when the caller offers it
 * (the call deadlines do; it costs nothing), else through `signal`, never both.
 */
function sleep(ms: number, opts: PredictOptions | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    const cancel = (reason: unknown) => {
      clearTimeout(t);
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    };
    if (opts?.onCancel) opts.onCancel(cancel);
    else opts?.signal?.addEventListener('abort', () => cancel(opts.signal!.reason), { once: true });
  });
}

/** A wrong answer of the same shape: the other class (with 1 − p), another class, or a skewed value. */
function wrong(p: Prediction, sig: ModelSignature, random: () => number): Prediction {
  if (sig.task === 'regressor') {
    const v = Number(p.prediction);
    return { prediction: v + (Math.abs(v) + 1) * (random() < 0.5 ? -1 : 1) };
  }
  const labels = sig.classLabels ?? Array.from({ length: sig.classCount ?? 2 }, (_, i) => i);
  const current = labels.findIndex((l) => String(l) === String(p.prediction));
  if (labels.length === 2) {
    const other = labels[current === 0 ? 1 : 0]!;
    return { prediction: other, ...(p.probability !== undefined ? { probability: 1 - p.probability } : {}) };
  }
  const offset = 1 + Math.floor(random() * (labels.length - 1));
  return { ...p, prediction: labels[(Math.max(0, current) + offset) % labels.length]! };
}

/**
 * Runs a model with faults injected: added latency, then a simulated error, then wrong answers.
 * A decorator over ModelRuntime, so the model itself and the telemetry see a real slow, failing
 * or inaccurate variant.
 */
export class FaultInjectingRuntime implements ModelRuntime {
  constructor(
    private readonly inner: ModelRuntime,
    private readonly fault: FaultConfig,
    private readonly random: () => number = Math.random,
  ) {}

  describe(): ModelSignature {
    return this.inner.describe();
  }

  async predict(rows: readonly FeatureRow[], opts?: PredictOptions): Promise<Prediction[]> {
    const [lo, hi] = this.fault.delayMs;
    if (hi > 0) await sleep(lo + (hi - lo) * this.random(), opts);
    if (this.fault.errorRate > 0 && this.random() < this.fault.errorRate) throw new InjectedFaultError();
    const predictions = await this.inner.predict(rows, opts);
    if (this.fault.wrongRate <= 0) return predictions;
    const sig = this.inner.describe();
    return predictions.map((p) => (this.random() < this.fault.wrongRate ? wrong(p, sig, this.random) : p));
  }

  async close(): Promise<void> {
    // The wrapped runtime belongs to the pool, which closes it.
  }
}
