import type { Variant } from '../domain/index.js';
import { emptyMerged, type Telemetry, type VariantWindow } from '../telemetry/index.js';
import { emptyVariantMetrics, toVariantMetrics, type VariantMetrics } from './variant-metrics.js';

export interface MetricWindow {
  readonly from: number;
  readonly to?: number;
  /** Only traffic served at this routing revision or later. */
  readonly minRevision?: number;
}

export type VariantPair = Readonly<Record<Variant, VariantMetrics>>;

/** One variant's metrics over one step of a time series. */
export interface SeriesPoint {
  /** Start of the step (Unix ms). */
  readonly start: number;
  /** Time the step covers so far: the step size, or less for the step still in progress. */
  readonly durationMs: number;
  readonly metrics: VariantMetrics;
}

function pairOf(w: ReadonlyMap<Variant, VariantWindow>): VariantPair {
  const get = (variant: Variant) => {
    const v = w.get(variant);
    return v ? toVariantMetrics(variant, v.versions, v.stats, v.forced) : emptyVariantMetrics(variant);
  };
  return { stable: get('stable'), canary: get('canary') };
}

/** The built-in metric provider: reads coalmine's own telemetry (a Prometheus reader can take its place). */
export class MetricsReader {
  constructor(private readonly telemetry: Telemetry) {}

  /** The telemetry bucket size: the finest step a series can have. */
  get bucketMs(): number {
    return this.telemetry.bucketMs;
  }

  async read(model: string, window: MetricWindow): Promise<VariantPair> {
    return pairOf(await this.telemetry.window(model, window));
  }

  /** read(), and one entry per (variant, version) that served in the window, from one read. */
  async readWithVersions(model: string, window: MetricWindow): Promise<{ pair: VariantPair; byVersion: VariantMetrics[] }> {
    const w = await this.telemetry.windows(model, window);
    return { pair: pairOf(w.variants), byVersion: w.versions.map((v) => toVariantMetrics(v.variant, v.versions, v.stats, v.forced)) };
  }

  /** Per-variant metrics in steps of `stepMs` over [from, to), oldest first. */
  async series(model: string, from: number, to: number, stepMs: number, now: number): Promise<SeriesPoint[]> {
    const points = await this.telemetry.buckets(model, from, to, stepMs);
    const step = this.telemetry.alignStep(stepMs);
    const forced = emptyMerged();
    return points.map((p) => ({
      start: p.bucketStart,
      durationMs: Math.max(1, Math.min(step, now - p.bucketStart)),
      metrics: toVariantMetrics(p.variant, [], p.stats, forced),
    }));
  }
}
