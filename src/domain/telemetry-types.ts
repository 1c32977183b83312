import type { Variant } from './variant.js';
import type { MetricsSpec, TrafficSpec } from './rollout.js';

/** Ground truth as callers send it: a class label (number or string) or a regression target. */
export type Label = number | string;

/** Injected faults for one variant (the labs' "simulate failure" and "slowdown"). */
export interface FaultConfig {
  /** Share of predictions answered wrong (0–1): classes flipped, regression values skewed. */
  readonly wrongRate: number;
  /** Added latency in ms: fixed, or uniform in [min, max]. */
  readonly delayMs: readonly [number, number];
  /** Share of requests that fail as model errors (0–1). */
  readonly errorRate: number;
}

export const NO_FAULTS: FaultConfig = Object.freeze({ wrongRate: 0, delayMs: [0, 0] as const, errorRate: 0 });

export function hasFaults(f: FaultConfig | undefined): boolean {
  return f !== undefined && (f.wrongRate > 0 || f.errorRate > 0 || f.delayMs[1] > 0);
}

/** Per-model settings that are not routing: faults, and where metrics restart after a reset. */
export interface ModelSettings {
  readonly faults: Readonly<Partial<Record<Variant, FaultConfig>>>;
  /** ISO time of the last reset; metric windows start here by default. */
  readonly metricsSince: string | null;
  /** Routing revision the last reset created: traffic served before it is left out exactly (buckets are coarser). */
  readonly metricsRevision: number | null;
  /**
   * A proxy that splits this model's traffic instead of coalmine (docs/controller.md): every
   * routing change, by hand or by a rollout, drives it; a rollout spec without `traffic:` and
   * `metrics:` takes these. Absent or null: coalmine routes the model itself.
   */
  readonly external?: ExternalRouting | null;
}

export interface ExternalRouting {
  readonly traffic: TrafficSpec;
  readonly metrics: MetricsSpec | null;
}

export const DEFAULT_SETTINGS: ModelSettings = Object.freeze({ faults: {}, metricsSince: null, metricsRevision: null });

/** One served prediction row, kept so a label arriving later can be joined to what served it. */
export interface PredictionLogEntry {
  readonly requestId: string;
  readonly row: number;
  readonly model: string;
  readonly variant: Variant;
  readonly version: number;
  readonly revision: number;
  readonly forced: boolean;
  readonly createdAt: number;
  readonly prediction: number | string;
  readonly probability: number | null;
  readonly label: Label | null;
  readonly labelledAt: number | null;
}
