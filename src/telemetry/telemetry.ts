import { randomUUID } from 'node:crypto';
import type { Label, ModelTask, Prediction, Variant } from '../domain/index.js';
import type { BucketRow, TelemetryStore } from '../store/index.js';
import type { PrometheusMetrics } from './prometheus.js';
import { emptyMerged, mergeSnapshot, SeriesStats, type MergedStats, type SeriesSnapshot } from './series-stats.js';

export interface SeriesKey {
  readonly model: string;
  readonly variant: Variant;
  readonly version: number;
  /** Routing revision when served: every weight change starts a new one, so a rollout step is a revision range. */
  readonly revision: number;
  readonly forced: boolean;
}

export interface RecordInput extends SeriesKey {
  readonly task: ModelTask;
  readonly latencyMs: number;
  /** The model threw, timed out or returned garbage (not a client error). */
  readonly error: boolean;
  readonly predictions: readonly Prediction[];
  /** Inline ground truth, one per row (null where unknown). */
  readonly labels?: readonly (Label | null)[] | undefined;
}

export interface WindowQuery {
  readonly from: number;
  readonly to?: number;
  /** Only series served at this routing revision or later (the current rollout step). */
  readonly minRevision?: number;
}

export interface VariantWindow {
  readonly variant: Variant;
  readonly versions: number[];
  /** Normal traffic; forced-variant requests are kept apart in `forced`. */
  readonly stats: MergedStats;
  readonly forced: MergedStats;
}

export interface BucketPoint {
  readonly bucketStart: number;
  readonly variant: Variant;
  readonly stats: MergedStats;
}

export interface TelemetryOptions {
  readonly store: TelemetryStore;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly bucketMs?: number;
  readonly retentionMs?: number;
  readonly prometheus?: PrometheusMetrics;
}

interface Live {
  readonly key: SeriesKey;
  readonly stats: SeriesStats;
}

/**
 * A series' key within its model and bucket. It is looked up on every request, so it is a number
 * (exact below 2^53) rather than a string built and hashed each time; absurdly large versions or
 * revisions fall back to a string.
 */
const seriesKey = (k: SeriesKey): number | string =>
  k.version < 2 ** 20 && k.revision < 2 ** 31
    ? (k.revision * 2 ** 20 + k.version) * 4 + (k.variant === 'canary' ? 2 : 0) + (k.forced ? 1 : 0)
    : `${k.variant}|${k.version}|${k.revision}|${k.forced ? 1 : 0}`;

/** Whether a prediction matches its label: classes by value (1 and "1" agree, true means 1). */
export function isCorrect(prediction: number | string, label: Label): boolean {
  return String(prediction) === String(label);
}

/**
 * Per-variant telemetry in time buckets (5 s by default). Recording is O(1) and allocation-free
 * apart from a new series; buckets live in memory while open and are written to the store in
 * batches (open buckets are rewritten as upserts, so a crash loses at most one flush interval).
 */
export class Telemetry {
  private readonly open = new Map<string, Map<number, Map<number | string, Live>>>();
  private readonly store: TelemetryStore;
  private readonly now: () => number;
  private readonly random: () => number;
  readonly bucketMs: number;
  private readonly retentionMs: number;
  private readonly prometheus: PrometheusMetrics | undefined;
  /** This process's id in the store: its rows are its own, merged with others' at read time. */
  readonly writer = randomUUID().slice(0, 8);

  constructor(opts: TelemetryOptions) {
    this.prometheus = opts.prometheus;
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.bucketMs = opts.bucketMs ?? 5000;
    this.retentionMs = opts.retentionMs ?? 7 * 24 * 3600 * 1000;
  }

  private series(key: SeriesKey, at: number): SeriesStats {
    const start = at - (at % this.bucketMs);
    let byBucket = this.open.get(key.model);
    if (!byBucket) this.open.set(key.model, (byBucket = new Map()));
    let bucket = byBucket.get(start);
    if (!bucket) byBucket.set(start, (bucket = new Map()));
    const k = seriesKey(key);
    let live = bucket.get(k);
    if (!live) bucket.set(k, (live = { key: { model: key.model, variant: key.variant, version: key.version, revision: key.revision, forced: key.forced }, stats: new SeriesStats() }));
    return live.stats;
  }

  /** The hot path: one call per served (or failed) request. */
  record(r: RecordInput): void {
    const s = this.series(r, this.now());
    s.requests++;
    s.recordLatency(r.latencyMs, this.random);
    let labelled = 0;
    let correct = 0;
    if (r.error) s.errors++;
    else {
      s.predictions += r.predictions.length;
      for (let i = 0; i < r.predictions.length; i++) {
        const p = r.predictions[i]!;
        if (r.task !== 'regressor') {
          if (p.prediction === 1 || p.prediction === '1') s.positives++;
          const score = p.probability ?? (p.probabilities ? Math.max(...p.probabilities) : undefined);
          if (score !== undefined) s.recordScore(score);
        }
        const label = r.labels?.[i];
        if (label !== undefined && label !== null) {
          labelled++;
          if (this.addLabel(s, r.task, p.prediction, label)) correct++;
        }
      }
    }
    this.prometheus?.onRecord(r, correct, labelled);
  }

  /** A label that arrived after its prediction: counted for the series that served it, now. */
  recordLabel(key: SeriesKey, task: ModelTask, prediction: number | string, label: Label): void {
    const correct = this.addLabel(this.series(key, this.now()), task, prediction, label);
    if (!key.forced) this.prometheus?.onLabel(key.model, key.version, key.variant, task === 'regressor' ? undefined : correct);
  }

  /** Counts a label; returns whether a classifier's prediction was correct. */
  private addLabel(s: SeriesStats, task: ModelTask, prediction: number | string, label: Label): boolean {
    s.labelled++;
    if (task === 'regressor') {
      s.recordRegressionError(Number(prediction) - Number(label));
      return false;
    }
    const ok = isCorrect(prediction, label);
    if (ok) s.correct++;
    return ok;
  }

  /** Buckets held in memory (open, or closed but not yet flushed): stays small however long the process runs. */
  openBucketCount(): number {
    let n = 0;
    for (const byBucket of this.open.values()) n += byBucket.size;
    return n;
  }

  /** Writes every open bucket and forgets the ones that have closed. */
  async flush(): Promise<void> {
    const now = this.now();
    const rows: BucketRow[] = [];
    const closed: [Map<number, Map<number | string, Live>>, number][] = [];
    for (const byBucket of this.open.values()) {
      for (const [start, bucket] of byBucket) {
        for (const live of bucket.values()) rows.push({ ...live.key, bucketStart: start, writer: this.writer, data: JSON.stringify(live.stats.snapshot()) });
        if (start + this.bucketMs <= now) closed.push([byBucket, start]);
      }
    }
    if (rows.length > 0) await this.store.writeBuckets(rows);
    for (const [byBucket, start] of closed) byBucket.delete(start);
  }

  async purge(): Promise<number> {
    return this.store.purgeBuckets(this.now() - this.retentionMs);
  }

  /**
   * Every (bucket, series) in [from, to): rows persisted by any writer (earlier processes,
   * replicas), except this process's own rows of buckets it still holds, which come from memory.
   */
  private async collect(model: string, from: number, to: number): Promise<{ key: SeriesKey; bucketStart: number; snapshot: SeriesSnapshot }[]> {
    const inMemory = this.open.get(model) ?? new Map<number, Map<number | string, Live>>();
    const out: { key: SeriesKey; bucketStart: number; snapshot: SeriesSnapshot }[] = [];
    for (const row of await this.store.readBuckets(model, from - (from % this.bucketMs), to)) {
      if (row.writer === this.writer && inMemory.has(row.bucketStart)) continue;
      out.push({ key: row, bucketStart: row.bucketStart, snapshot: JSON.parse(row.data) as SeriesSnapshot });
    }
    for (const [start, bucket] of inMemory) {
      if (start + this.bucketMs <= from || start >= to) continue;
      for (const live of bucket.values()) out.push({ key: live.key, bucketStart: start, snapshot: live.stats.snapshot() });
    }
    return out;
  }

  /** Merged statistics per variant for a window (buckets overlapping [from, to)). */
  async window(model: string, q: WindowQuery): Promise<Map<Variant, VariantWindow>> {
    const [byVariant] = await this.merge(model, q, [(key) => key.variant]);
    return new Map([...byVariant!.values()].map((w) => [w.variant, w]));
  }

  /**
   * window() and a window per (variant, version) that served, from one read of the buckets: for
   * reports that must not fold the versions before and after a promotion into one line.
   */
  async windows(model: string, q: WindowQuery): Promise<{ variants: Map<Variant, VariantWindow>; versions: VariantWindow[] }> {
    const [byVariant, byVersion] = await this.merge(model, q, [(key) => key.variant, (key) => `${key.variant}@${key.version}`]);
    return {
      variants: new Map([...byVariant!.values()].map((w) => [w.variant, w])),
      versions: [...byVersion!.values()].sort((a, b) => (a.variant === b.variant ? a.versions[0]! - b.versions[0]! : a.variant === 'stable' ? -1 : 1)),
    };
  }

  /** Merges the window's snapshots once per grouping (each snapshot into its group of each). */
  private async merge(model: string, q: WindowQuery, groupings: readonly ((key: SeriesKey) => string)[]): Promise<Map<string, VariantWindow>[]> {
    const to = q.to ?? this.now() + this.bucketMs;
    const results = groupings.map(() => new Map<string, { variant: Variant; versions: Set<number>; stats: MergedStats; forced: MergedStats }>());
    for (const { key, snapshot } of await this.collect(model, q.from, to)) {
      if (q.minRevision !== undefined && key.revision < q.minRevision) continue;
      groupings.forEach((group, i) => {
        const g = group(key);
        let v = results[i]!.get(g);
        if (!v) results[i]!.set(g, (v = { variant: key.variant, versions: new Set(), stats: emptyMerged(), forced: emptyMerged() }));
        v.versions.add(key.version);
        mergeSnapshot(key.forced ? v.forced : v.stats, snapshot, this.random);
      });
    }
    return results.map((result) => new Map([...result].map(([g, v]) => [g, { variant: v.variant, versions: [...v.versions].sort((a, b) => a - b), stats: v.stats, forced: v.forced }])));
  }

  /** A chart step as `buckets` uses it: a whole number of buckets, at least one. */
  alignStep(stepMs: number): number {
    return Math.max(this.bucketMs, stepMs - (stepMs % this.bucketMs));
  }

  /**
   * Per-variant statistics (normal traffic only) in steps of `stepMs` (a multiple of the bucket
   * size; buckets are merged into their step), for charts.
   */
  async buckets(model: string, from: number, to = this.now() + this.bucketMs, stepMs = this.bucketMs): Promise<BucketPoint[]> {
    const step = this.alignStep(stepMs);
    const points = new Map<string, BucketPoint>();
    for (const { key, bucketStart, snapshot } of await this.collect(model, from, to)) {
      if (key.forced) continue;
      const start = bucketStart - (bucketStart % step);
      const id = `${start}|${key.variant}`;
      let p = points.get(id);
      if (!p) points.set(id, (p = { bucketStart: start, variant: key.variant, stats: emptyMerged() }));
      mergeSnapshot(p.stats, snapshot, this.random);
    }
    return [...points.values()].sort((a, b) => a.bucketStart - b.bucketStart || a.variant.localeCompare(b.variant));
  }
}
