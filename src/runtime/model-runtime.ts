import type { FeatureRow, ModelSignature, Prediction } from '../domain/index.js';

export interface PredictOptions {
  /** Aborts when the caller stops waiting (timeout); a runtime that cannot cancel may ignore it. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The same news as `signal`, as a plain callback: `cancel` runs once if the caller stops waiting.
   * For a runtime that only needs to stop a timer of its own (fault injection's delay): an
   * AbortSignal and a listener on it cost ~10 µs a call and leave garbage that V8 collects in
   * full collections, which under load cost a request's worth of CPU per call.
   */
  onCancel?(cancel: (reason: unknown) => void): void;
  /** The request's id, for a runtime that passes it on (an upstream model server's logs). */
  readonly requestId?: string | undefined;
}

/** One loaded model version, ready to score rows. */
export interface ModelRuntime {
  predict(rows: readonly FeatureRow[], opts?: PredictOptions): Promise<Prediction[]>;
  describe(): ModelSignature;
  close(): Promise<void>;
}

/**
 * A runtime that scores on the caller's stack (an in-process model): the same answer as
 * `predict`, without a promise. The micro-batcher calls it from its own loop turn. A capability
 * a runtime has or lacks, checked with `scoresSynchronously`, not an optional member of the port.
 */
export interface SynchronousRuntime extends ModelRuntime {
  predictNow(rows: readonly FeatureRow[]): Prediction[];
}

export function scoresSynchronously(runtime: ModelRuntime): runtime is SynchronousRuntime {
  return typeof (runtime as Partial<SynchronousRuntime>).predictNow === 'function';
}

/**
 * A runtime whose `predict` settles within the next event-loop turn whatever the model does (it
 * is scored synchronously there): no timer could fire first, so a caller's deadline has nothing
 * to cut and the caller need not arm one.
 */
export interface TurnBoundRuntime extends ModelRuntime {
  readonly settlesNextTurn: true;
}

export function settlesNextTurn(runtime: ModelRuntime): runtime is TurnBoundRuntime {
  return (runtime as Partial<TurnBoundRuntime>).settlesNextTurn === true;
}

/** A model produced output coalmine cannot use (NaN, wrong shape, wrong type): the model's fault. */
export class ModelOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelOutputError';
  }
}
