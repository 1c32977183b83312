/** Rows per write transaction: about a millisecond of work, so a request never waits long behind a flush (1,000 rows took ~6 ms under load and set the p99). */
export const CHUNK_ROWS = 256;

export interface BatchedWriterOptions<T> {
  /** Writes one chunk in one transaction; a rejection leaves the chunk queued for the next flush. */
  readonly write: (rows: T[]) => Promise<void>;
  /** Most rows waiting to be written; beyond it new rows are dropped. */
  readonly maxQueued: number;
  /** Told about every row dropped because the writer is that far behind. */
  readonly onDrop?: () => void;
}

/**
 * Rows appended on the request path and written off it, in chunks of CHUNK_ROWS, one transaction
 * each, yielding to the event loop between chunks (SQLite writes are synchronous, and one large
 * transaction would stall every request for as long as it takes). The prediction log and the
 * shadow's comparisons share it.
 */
export class BatchedWriter<T> {
  /**
   * The queue, as full chunks (oldest first) and the one being filled: a chunk is written as it
   * is, and dropping it from the front costs nothing however long the queue is (a flat array's
   * splice moved every queued row each time, and a slow writer made that long).
   */
  private readonly full: T[][] = [];
  private current: T[] = [];
  private count = 0;
  private scheduled = false;
  private flushing: Promise<void> | undefined;

  constructor(private readonly opts: BatchedWriterOptions<T>) {}

  /**
   * Queues a row. When the writer is `maxQueued` rows behind (a sustained load beyond what the
   * store takes), the row is dropped and counted, as OpenTelemetry's batch processor does with
   * spans: memory stays bounded and serving never waits for the store.
   */
  append(row: T): void {
    if (this.count >= this.opts.maxQueued) {
      this.opts.onDrop?.();
      return;
    }
    this.current.push(row);
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
   * Writes that appends trigger (`all` false) send full chunks only; the rest waits for more rows
   * or the periodic flush. Sending whatever had queued since the last write made chunks of ~40
   * rows under load, each paying a message to the writer thread and a transaction. A chunk leaves
   * the queue only once written, so a failed write is retried.
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
          await this.opts.write(chunk);
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
}
