import type { FeatureRow, ModelSignature, Prediction } from '../domain/index.js';
import { scoresSynchronously, type ModelRuntime, type PredictOptions, type TurnBoundRuntime } from './model-runtime.js';

/** A request waiting for its turn's model call. A synchronous call stores its outcome here, and the turn settles it once every call of the turn has run. */
class Waiting {
  out: Prediction[] | undefined = undefined;
  err: unknown = undefined;
  failed = false;

  constructor(
    readonly owner: MicroBatchingRuntime,
    readonly rows: readonly FeatureRow[],
    readonly resolve: (predictions: Prediction[]) => void,
    readonly reject: (reason: unknown) => void,
  ) {}

  settle(): void {
    if (this.failed) this.reject(this.err);
    else if (this.out !== undefined) this.resolve(this.out);
  }
}

export interface MicroBatchOptions {
  /** Most rows scored in one model call; a single request with more rows runs alone. */
  readonly maxRows: number;
  /** Told about every model call: rows scored and how many requests they came from. */
  readonly onBatch?: (rows: number, requests: number) => void;
  /** The flush this batcher shares with the other versions' (stable and canary); a batcher without one flushes alone. */
  readonly turn?: BatchTurn;
}

function concat(batch: readonly Waiting[], total: number): FeatureRow[] {
  const rows = new Array<FeatureRow>(total);
  let k = 0;
  for (const w of batch) for (const row of w.rows) rows[k++] = row;
  return rows;
}

/** Gives each request its slice of a batch's predictions, for settle() to answer with. */
function assign(batch: readonly Waiting[], out: readonly Prediction[]): void {
  let offset = 0;
  for (const w of batch) {
    w.out = out.slice(offset, offset + w.rows.length);
    offset += w.rows.length;
  }
}

/**
 * One check-phase flush for every model version's batcher, so that stable and canary are served
 * alike. With a flush per version, the version whose request came first in a turn (stable, mostly,
 * as it gets most of the traffic) was scored first and its requests answered before the other's
 * model call even started: every canary request waited for stable's call and replies, a latency
 * bias of ~60-100 µs per turn against the canary under load, which the latency judges would read
 * as the canary being slower. Here all the turn's model calls run first, and then the requests
 * are settled in the order they arrived, which does not depend on the variant they were routed to.
 */
export class BatchTurn {
  private queue: Waiting[] = [];
  private scheduled = false;

  add(w: Waiting): void {
    this.queue.push(w);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Takes a batcher's requests out of the turn, for it to score them at once (it is closing). */
  take(owner: MicroBatchingRuntime): Waiting[] {
    const mine = this.queue.filter((w) => w.owner === owner);
    if (mine.length > 0) this.queue = this.queue.filter((w) => w.owner !== owner);
    return mine;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    const byOwner = new Map<MicroBatchingRuntime, Waiting[]>();
    for (const w of queue) {
      const list = byOwner.get(w.owner);
      if (list === undefined) byOwner.set(w.owner, [w]);
      else list.push(w);
    }
    for (const [owner, list] of byOwner) owner.score(list);
    for (const w of queue) w.settle();
  };
}

/**
 * Dynamic batching as Triton and TorchServe do it, sized to one event-loop turn: requests that
 * arrive while the loop is busy (the same poll phase) are scored as one model call in the check
 * phase that follows. A model call has a fixed cost (tensors, session run, output copies) far
 * above its per-row cost, so under load this pays; at low load a request is alone in its turn and
 * goes on at once, with no timer. The price is one pass of the event loop (microseconds when idle;
 * under load, the time of one turn, which the batching more than repays). A runtime that scores
 * synchronously (a `SynchronousRuntime`) is called right there; onnxruntime-node's promise API would defer
 * the run by one more pass.
 *
 * Written here rather than taken from a library: the batching libraries on npm (dataloader and
 * kin) batch by key lookups, not by rows of one tensor, and none splits a failed batch.
 */
export class MicroBatchingRuntime implements ModelRuntime {
  private readonly turn: BatchTurn;
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  /** The inner runtime's synchronous scoring, when it has one. */
  private readonly now: ((rows: readonly FeatureRow[]) => Prediction[]) | undefined;

  constructor(
    private readonly inner: ModelRuntime,
    private readonly opts: MicroBatchOptions,
  ) {
    this.now = scoresSynchronously(inner) ? (rows) => inner.predictNow(rows) : undefined;
    this.turn = opts.turn ?? new BatchTurn();
  }

  /** A batcher over `inner`: one that says it settles next turn when `inner` scores synchronously. */
  static over(inner: ModelRuntime, opts: MicroBatchOptions): MicroBatchingRuntime {
    return scoresSynchronously(inner) ? new TurnBoundMicroBatchingRuntime(inner, opts) : new MicroBatchingRuntime(inner, opts);
  }

  describe(): ModelSignature {
    return this.inner.describe();
  }

  // The signal is not read: a request waits here one event-loop turn at most, far less than any
  // deadline's resolution, and reading it would make the caller build an AbortController.
  predict(rows: readonly FeatureRow[], _opts?: PredictOptions): Promise<Prediction[]> {
    if (this.closed) return Promise.reject(new Error('this model version was unloaded'));
    return new Promise<Prediction[]>((resolve, reject) => this.turn.add(new Waiting(this, rows, resolve, reject)));
  }

  /** Scores this version's requests of a turn, in calls of at most maxRows rows. A synchronous runtime's outcomes are left on the requests for the turn to settle. */
  score(queue: readonly Waiting[]): void {
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
  }

  private start(batch: Waiting[], rows: number): void {
    this.opts.onBatch?.(rows, batch.length);
    const now = this.now;
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
    assign(batch, out);
    for (const w of batch) w.settle();
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
        assign(batch, out);
        return;
      }
    }
    for (const w of batch) {
      try {
        w.out = now(w.rows);
      } catch (err) {
        w.failed = true;
        w.err = err;
      }
    }
  }

  /** Scores what is queued, waits for calls under way, then closes the model. */
  async close(): Promise<void> {
    this.closed = true;
    const queued = this.turn.take(this);
    this.score(queued);
    for (const w of queued) w.settle();
    await Promise.allSettled([...this.running]);
    await this.inner.close();
  }
}

/** Over a synchronous runtime every queued request is scored in the flush of the next check phase. */
class TurnBoundMicroBatchingRuntime extends MicroBatchingRuntime implements TurnBoundRuntime {
  readonly settlesNextTurn = true as const;
}
