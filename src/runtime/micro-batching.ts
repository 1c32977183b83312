import type { FeatureRow, ModelSignature, Prediction } from '../domain/index.js';
import type { ModelRuntime, PredictOptions } from './model-runtime.js';

interface Waiting {
  readonly rows: readonly FeatureRow[];
  readonly resolve: (predictions: Prediction[]) => void;
  readonly reject: (reason: unknown) => void;
}

export interface MicroBatchOptions {
  /** Most rows scored in one model call; a single request with more rows runs alone. */
  readonly maxRows: number;
  /** Told about every model call: rows scored and how many requests they came from. */
  readonly onBatch?: (rows: number, requests: number) => void;
}

function concat(batch: readonly Waiting[], total: number): FeatureRow[] {
  const rows = new Array<FeatureRow>(total);
  let k = 0;
  for (const w of batch) for (const row of w.rows) rows[k++] = row;
  return rows;
}

function split(batch: readonly Waiting[], out: readonly Prediction[]): void {
  let offset = 0;
  for (const w of batch) {
    w.resolve(out.slice(offset, offset + w.rows.length));
    offset += w.rows.length;
  }
}

/**
 * Dynamic batching as Triton and TorchServe do it, sized to one event-loop turn: requests that
 * arrive while the loop is busy (the same poll phase) are scored as one model call in the check
 * phase that follows. A model call has a fixed cost (tensors, session run, output copies) far
 * above its per-row cost, so under load this pays; at low load a request is alone in its turn and
 * goes on at once, with no timer. The price is one pass of the event loop (microseconds when idle;
 * under load, the time of one turn, which the batching more than repays). A runtime that scores
 * synchronously (`predictNow`) is called right there; onnxruntime-node's promise API would defer
 * the run by one more pass.
 *
 * Written here rather than taken from a library: the batching libraries on npm (dataloader and
 * kin) batch by key lookups, not by rows of one tensor, and none splits a failed batch.
 */
export class MicroBatchingRuntime implements ModelRuntime {
  private queue: Waiting[] = [];
  private scheduled = false;
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  readonly settlesNextTurn: boolean;

  constructor(
    private readonly inner: ModelRuntime,
    private readonly opts: MicroBatchOptions,
  ) {
    // Over a synchronous runtime every queued request is scored in the flush of the next check phase.
    this.settlesNextTurn = inner.predictNow !== undefined;
  }

  describe(): ModelSignature {
    return this.inner.describe();
  }

  // The signal is not read: a request waits here one event-loop turn at most, far less than any
  // deadline's resolution, and reading it would make the caller build an AbortController.
  predict(rows: readonly FeatureRow[], _opts?: PredictOptions): Promise<Prediction[]> {
    if (this.closed) return Promise.reject(new Error('this model version was unloaded'));
    return new Promise<Prediction[]>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    let batch: Waiting[] = [];
    let rows = 0;
    for (const w of queue) {
      if (batch.length > 0 && rows + w.rows.length > this.opts.maxRows) {
        this.start(batch, rows);
        batch = [];
        rows = 0;
      }
      batch.push(w);
      rows += w.rows.length;
    }
    if (batch.length > 0) this.start(batch, rows);
  };

  private start(batch: Waiting[], rows: number): void {
    this.opts.onBatch?.(rows, batch.length);
    const now = this.inner.predictNow;
    if (now !== undefined) {
      this.runNow(now, batch, rows);
      return;
    }
    const run = this.run(batch, rows);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private async run(batch: Waiting[], total: number): Promise<void> {
    if (batch.length === 1) {
      const w = batch[0]!;
      await this.inner.predict(w.rows).then(w.resolve, w.reject);
      return;
    }
    let out: Prediction[];
    try {
      out = await this.inner.predict(concat(batch, total));
    } catch {
      // One request's rows may be what the model fails on (a NaN out, a crash on some input):
      // score each request alone, so only the request that causes the failure gets it.
      await Promise.all(batch.map((w) => this.inner.predict(w.rows).then(w.resolve, w.reject)));
      return;
    }
    split(batch, out);
  }

  private runNow(now: (rows: readonly FeatureRow[]) => Prediction[], batch: readonly Waiting[], total: number): void {
    if (batch.length > 1) {
      let out: Prediction[] | undefined;
      try {
        out = now(concat(batch, total));
      } catch {
        // As in run(): the requests are scored alone below, so only the one the model fails on gets the error.
      }
      if (out !== undefined) {
        split(batch, out);
        return;
      }
    }
    for (const w of batch) {
      try {
        w.resolve(now(w.rows));
      } catch (err) {
        w.reject(err);
      }
    }
  }

  /** Scores what is queued, waits for calls under way, then closes the model. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.queue.length > 0) this.flush();
    await Promise.allSettled([...this.running]);
    await this.inner.close();
  }
}
