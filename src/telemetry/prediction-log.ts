import type { PredictionLogEntry } from '../domain/index.js';
import type { PredictionKey, PredictionLogStore } from '../store/index.js';
import { BatchedWriter } from './batched-writer.js';

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

/**
 * Every served prediction, kept for `retentionMs` (and at most `maxRows`) so that a label
 * arriving later, even after a restart, is joined to the variant and version that served it.
 * Appends are queued and written in chunks, off the request path (see BatchedWriter).
 */
export class PredictionLog {
  private readonly writer: BatchedWriter<PredictionLogEntry>;
  private readonly now: () => number;

  constructor(private readonly opts: PredictionLogOptions) {
    this.now = opts.now ?? Date.now;
    this.writer = new BatchedWriter({ write: (rows) => opts.store.append(rows), maxQueued: opts.maxQueued ?? 100_000, ...(opts.onDrop ? { onDrop: opts.onDrop } : {}) });
  }

  get retentionMs(): number {
    return this.opts.retentionMs;
  }

  /** Queues a row; a row dropped because the writer is far behind only means a label for that prediction cannot be joined later. */
  append(entry: PredictionLogEntry): void {
    this.writer.append(entry);
  }

  get queued(): number {
    return this.writer.queued;
  }

  /** Writes everything appended so far. */
  flush(): Promise<void> {
    return this.writer.flush();
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
