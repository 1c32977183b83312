import { randomUUID } from 'node:crypto';
import type { Label, ModelTask, Prediction, ShadowComparison } from '../domain/index.js';
import type { PredictionKey, ShadowStore } from '../store/index.js';
import { BatchedWriter } from './batched-writer.js';
import type { PrometheusMetrics } from './prometheus.js';
import { predictionKey } from './prediction-log.js';
import { absDeltaOf, emptyShadowStats, mergeShadowSnapshot, ShadowStats, type MergedShadowStats, type ShadowStatsSnapshot } from './shadow-stats.js';
import { isCorrect } from './telemetry.js';

/** One shadow call, settled: what the primary answered (already sent) and what the shadow did. */
export interface ShadowOutcome {
  readonly session: string;
  readonly model: string;
  readonly requestId: string;
  readonly task: ModelTask;
  readonly primaryVersion: number;
  readonly shadowVersion: number;
  readonly primary: readonly Prediction[];
  readonly primaryLatencyMs: number;
  /** Null when the shadow failed. */
  readonly shadow: readonly Prediction[] | null;
  readonly shadowLatencyMs: number;
  readonly error: string | null;
  /** Ground truth the caller sent with the request, one per row. */
  readonly labels?: readonly (Label | null)[] | undefined;
}

export interface ShadowLabelResult {
  readonly shadowVersion: number;
  /** Whether the shadow's class was right; absent for regressors and failed shadow calls. */
  readonly correct?: boolean;
}

export interface ShadowRecorderOptions {
  readonly store: ShadowStore;
  readonly now?: () => number;
  readonly retentionMs: number;
  readonly maxRows: number;
  readonly maxQueued?: number;
  readonly prometheus?: PrometheusMetrics;
}

interface Live {
  readonly stats: ShadowStats;
  /** The writer name its row is stored under (see evict). */
  readonly writer: string;
  /** When the session was made, or last found changed by a flush: every change marks its stats dirty, so flush keeps this. */
  lastUsed: number;
  /** The Prometheus counters of requests not sent, kept: at saturation nearly every sampled request is shed. */
  shedCounter?: { value: number };
  droppedCounter?: { value: number };
}

/** A session's totals untouched this long are written a last time and dropped from memory. */
const IDLE_MS = 10 * 60_000;

/**
 * The shadow's telemetry: one comparison row per shadowed row (written off the request path,
 * joined by request id to late labels), and per-session totals that this process upserts as its
 * own row and every read sums across processes and replicas.
 */
export class ShadowRecorder {
  private readonly live = new Map<string, Live>();
  private readonly comparisons: BatchedWriter<ShadowComparison>;
  private readonly now: () => number;
  /** This process's name in the store; a session evicted and touched again gets a fresh row (`~n`), never an overwrite of its old one. */
  private readonly writer = randomUUID().slice(0, 8);
  private generation = 0;

  constructor(private readonly opts: ShadowRecorderOptions) {
    this.now = opts.now ?? Date.now;
    this.comparisons = new BatchedWriter({ write: (rows) => opts.store.appendComparisons(rows), maxQueued: opts.maxQueued ?? 100_000, onDrop: () => opts.prometheus?.onShadowLogDrop() });
  }

  private session(session: string): Live {
    let live = this.live.get(session);
    if (!live) this.live.set(session, (live = { stats: new ShadowStats(), writer: `${this.writer}~${this.generation++}`, lastUsed: this.now() }));
    return live;
  }

  /**
   * A request was sampled for the shadow: sent, dropped at the in-flight limit, or shed because
   * the event loop is saturated. Called for every sampled request, most of them shed when the
   * server is saturated, so it only counts: no clock and no counter key built per call.
   */
  offered(session: string, model: string, version: number, outcome: 'sent' | 'dropped' | 'shed'): void {
    const live = this.session(session);
    const s = live.stats;
    s.dirty = true;
    s.offered++;
    if (outcome === 'sent') return;
    const prometheus = this.opts.prometheus;
    if (outcome === 'dropped') {
      s.dropped++;
      if (prometheus) (live.droppedCounter ??= prometheus.shadowCallCounter(model, version, 'dropped')).value++;
    } else {
      s.shed++;
      if (prometheus) (live.shedCounter ??= prometheus.shadowCallCounter(model, version, 'shed')).value++;
    }
  }

  record(o: ShadowOutcome): void {
    const s = this.session(o.session).stats;
    const createdAt = this.now();
    if (o.shadow === null) s.failed(o.primaryLatencyMs, o.shadowLatencyMs);
    else s.answer(o.primaryLatencyMs, o.shadowLatencyMs);
    this.opts.prometheus?.onShadowCall(o.model, o.shadowVersion, o.shadow === null ? 'error' : 'answered');
    let agreed = 0;
    for (let row = 0; row < o.primary.length; row++) {
      const p = o.primary[row]!;
      const sh = o.shadow?.[row];
      const absDelta = sh ? absDeltaOf(o.task, p, sh) : null;
      const agree = sh && o.task !== 'regressor' ? String(p.prediction) === String(sh.prediction) : null;
      if (sh) s.row(p, sh, absDelta, agree);
      if (agree) agreed++;
      const label = o.labels?.[row] ?? null;
      if (label !== null && sh) s.label(o.task, p.prediction, sh.prediction, label);
      this.comparisons.append({
        session: o.session,
        requestId: o.requestId,
        row,
        model: o.model,
        primaryVersion: o.primaryVersion,
        shadowVersion: o.shadowVersion,
        createdAt,
        primaryPrediction: p.prediction,
        primaryProbability: p.probability ?? null,
        primaryLatencyMs: o.primaryLatencyMs,
        shadowPrediction: sh?.prediction ?? null,
        shadowProbability: sh?.probability ?? null,
        shadowLatencyMs: o.shadowLatencyMs,
        shadowError: o.error,
        absDelta,
        agree,
        label,
        labelledAt: label === null ? null : createdAt,
      });
    }
    if (o.shadow !== null) {
      if (o.task === 'regressor') this.opts.prometheus?.onShadowRows(o.model, o.shadowVersion, 'none', o.primary.length);
      else {
        this.opts.prometheus?.onShadowRows(o.model, o.shadowVersion, 'true', agreed);
        this.opts.prometheus?.onShadowRows(o.model, o.shadowVersion, 'false', o.primary.length - agreed);
      }
    }
  }

  /**
   * Joins labels (already accepted for the primary) to the shadow's answers for the same rows:
   * each counts once, for the session the row was shadowed in. Returns the rows that had a shadow.
   */
  async label(items: readonly (PredictionKey & { label: Label; task: ModelTask })[]): Promise<Map<string, ShadowLabelResult>> {
    const out = new Map<string, ShadowLabelResult>();
    if (items.length === 0) return out;
    await this.comparisons.flush();
    const found = new Map((await this.opts.store.findComparisons(items)).map((c) => [predictionKey(c), c]));
    const at = this.now();
    const todo = items.filter((i) => found.get(predictionKey(i))?.label === null);
    const taken = new Set((await this.opts.store.labelComparisons(todo.map((i) => ({ requestId: i.requestId, row: i.row, label: i.label, at })))).map(predictionKey));
    for (const item of todo) {
      const key = predictionKey(item);
      const c = found.get(key)!;
      if (!taken.has(key)) continue;
      if (c.shadowPrediction !== null) this.session(c.session).stats.label(item.task, c.primaryPrediction, c.shadowPrediction, item.label);
      const correct = c.shadowPrediction !== null && item.task !== 'regressor' ? isCorrect(c.shadowPrediction, item.label) : undefined;
      out.set(key, { shadowVersion: c.shadowVersion, ...(correct !== undefined ? { correct } : {}) });
    }
    return out;
  }

  /** Writes queued comparisons and every changed session's totals; forgets sessions idle for long. */
  async flush(): Promise<void> {
    await this.comparisons.flush();
    const rows = [];
    const now = this.now();
    const idle: string[] = [];
    for (const [session, live] of this.live) {
      if (live.stats.dirty) {
        live.stats.dirty = false;
        live.lastUsed = now;
        rows.push({ session, writer: live.writer, data: JSON.stringify(live.stats.snapshot()) });
      }
      if (now - live.lastUsed > IDLE_MS) idle.push(session);
    }
    try {
      await this.opts.store.writeStats(rows);
    } catch (err) {
      for (const r of rows) {
        const live = this.live.get(r.session);
        if (live) live.stats.dirty = true;
      }
      throw err;
    }
    for (const session of idle) if (!this.live.get(session)!.stats.dirty) this.live.delete(session);
  }

  /** A session's totals across every writer: the store's rows, with this process's own from memory. */
  async totals(session: string): Promise<MergedShadowStats> {
    const merged = emptyShadowStats();
    const mine = this.live.get(session);
    for (const row of await this.opts.store.readStats(session)) {
      if (mine && row.writer === mine.writer) continue;
      mergeShadowSnapshot(merged, JSON.parse(row.data) as ShadowStatsSnapshot);
    }
    if (mine) mergeShadowSnapshot(merged, mine.stats.snapshot());
    return merged;
  }

  async recent(session: string, limit: number, disagreeing: boolean): Promise<ShadowComparison[]> {
    await this.comparisons.flush();
    return this.opts.store.recentComparisons(session, limit, disagreeing);
  }

  get queued(): number {
    return this.comparisons.queued;
  }

  async purge(): Promise<number> {
    await this.comparisons.flush();
    return this.opts.store.purge(this.now() - this.opts.retentionMs, this.opts.maxRows);
  }
}
