import type { PredictionLogEntry } from '../domain/index.js';
import type { PredictionKey, PredictionLogStore } from '../store/index.js';

export interface PredictionLogOptions {
  readonly store: PredictionLogStore;
  readonly now?: () => number;
  readonly retentionMs: number;
  readonly maxRows: number;
  /** Most rows waiting to be written; beyond it new rows are dropped (default 100,000). */
  readonly maxQueued?: number;
  /** Told about every row dropped because the writer is that far behind. */
  readonly onDrop?: () => void;
}

const keyOf = (k: PredictionKey): string => `${k.requestId}#${k.row}`;

/** Rows per write transaction: about a millisecond of work, so a request never waits long behind a flush (1,000 rows took ~6 ms under load and set the p99). */
const CHUNK_ROWS = 256;

/**
 * Every served prediction, kept for `retentionMs` (and at most `maxRows`) so that a label
 * arriving later, even after a restart, is joined to the variant and version that served it.
 * Appends are queued and written in one transaction per flush, off the request path.
 */
export class PredictionLog {
  /**
   * The queue, as chunks of CHUNK_ROWS rows (oldest first) and the one being filled: a chunk is
   * written as it is, and dropping it from the front costs nothing however long the queue is (a
   * flat array's splice moved every queued row each time, and a slow writer made that long).
   */
  private readonly full: PredictionLogEntry[][] = [];
  private current: PredictionLogEntry[] = [];
  private count = 0;
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: PredictionLogOptions) {
    this.now = opts.now ?? Date.now;
  }

  get retentionMs(): number {
    return this.opts.retentionMs;
  }

  /**
   * Queues a row. When the writer is `maxQueued` rows behind (a sustained load beyond what SQLite
   * takes, e.g. large batches), the row is dropped and counted, as OpenTelemetry's batch
   * processor does with spans: memory stays bounded and serving never waits for the log. A
   * dropped row only means a label for that prediction cannot be joined later.
   */
  append(entry: PredictionLogEntry): void {
    if (this.count >= (this.opts.maxQueued ?? 100_000)) {
      this.opts.onDrop?.();
      return;
    }
    this.current.push(entry);
    this.count++;
    if (this.current.length < CHUNK_ROWS) return;
    this.full.push(this.current);
    this.current = [];
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.write(false).catch(() => undefined); // the periodic flush retries and logs
      });
    }
  }

  get queued(): number {
    return this.count;
  }

  /** Writes everything appended so far. */
  flush(): Promise<void> {
    return this.write(true);
  }

  /**
   * Writes the queue chunk by chunk, one transaction each, yielding to the event loop between
   * chunks: SQLite writes are synchronous, and one large transaction would stall every request
   * for as long as it takes. Writes that appends trigger (`all` false) send full chunks only; the
   * rest waits for more rows or the periodic flush. Sending whatever had queued since the last
   * write made chunks of ~40 rows under load, each paying a message to the writer thread and a
   * transaction. A chunk leaves the queue only once written, so a failed write is retried.
   */
  private async write(all: boolean): Promise<void> {
    // A write already under way may have started before the latest appends: wait for it, then
    // write whatever is still queued, so "flushed" always means "everything appended so far".
    while (this.flushing) await this.flushing;
    const pending = () => this.full.length > 0 || (all && this.current.length > 0);
    if (!pending()) return;
    this.flushing = (async () => {
      try {
        while (pending()) {
          if (this.full.length === 0) {
            this.full.push(this.current);
            this.current = [];
          }
          const chunk = this.full[0]!;
          await this.opts.store.append(chunk);
          this.full.shift();
          this.count -= chunk.length;
          if (pending()) await new Promise<void>((r) => setImmediate(r));
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    await this.flushing;
  }

  /**
   * Rows still queued are written first, so the store answers for all of them. (An index of the
   * queue kept for this cost a string key and two map operations on every prediction; feedback
   * is far rarer than predictions, and the flush writes rows that were due anyway.)
   */
  async find(keys: readonly PredictionKey[]): Promise<Map<string, PredictionLogEntry>> {
    await this.flush();
    const found = new Map<string, PredictionLogEntry>();
    for (const e of await this.opts.store.find(keys)) found.set(keyOf(e), e);
    return found;
  }

  /** Sets labels on rows that have none; returns the keys that took the label. */
  async label(items: readonly (PredictionKey & { label: number | string })[]): Promise<Set<string>> {
    await this.flush();
    const at = this.now();
    const done = await this.opts.store.setLabels(items.map((i) => ({ ...i, at })));
    return new Set(done.map(keyOf));
  }

  async purge(): Promise<number> {
    await this.flush();
    return this.opts.store.purge(this.now() - this.opts.retentionMs, this.opts.maxRows);
  }
}

export { keyOf as predictionKey };
