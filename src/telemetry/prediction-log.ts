import type { PredictionLogEntry } from '../domain/index.js';
import type { PredictionKey, PredictionLogStore } from '../store/index.js';

export interface PredictionLogOptions {
  readonly store: PredictionLogStore;
  readonly now?: () => number;
  readonly retentionMs: number;
  readonly maxRows: number;
}

const keyOf = (k: PredictionKey): string => `${k.requestId}#${k.row}`;

/**
 * Every served prediction, kept for `retentionMs` (and at most `maxRows`) so that a label
 * arriving later, even after a restart, is joined to the variant and version that served it.
 * Appends are queued and written in one transaction per flush, off the request path.
 */
export class PredictionLog {
  private queue: PredictionLogEntry[] = [];
  private readonly pending = new Map<string, PredictionLogEntry>();
  private readonly now: () => number;

  constructor(private readonly opts: PredictionLogOptions) {
    this.now = opts.now ?? Date.now;
  }

  get retentionMs(): number {
    return this.opts.retentionMs;
  }

  append(entry: PredictionLogEntry): void {
    this.queue.push(entry);
    this.pending.set(keyOf(entry), entry);
  }

  get queued(): number {
    return this.queue.length;
  }

  async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    await this.opts.store.append(batch);
    for (const e of batch) this.pending.delete(keyOf(e));
  }

  async find(keys: readonly PredictionKey[]): Promise<Map<string, PredictionLogEntry>> {
    const found = new Map<string, PredictionLogEntry>();
    const rest: PredictionKey[] = [];
    for (const k of keys) {
      const p = this.pending.get(keyOf(k));
      if (p) found.set(keyOf(k), p);
      else rest.push(k);
    }
    for (const e of await this.opts.store.find(rest)) found.set(keyOf(e), e);
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
