import type { Variant } from './variant.js';
import type { MetricsSpec, TrafficSpec } from './rollout.js';
import type { ShadowRouting } from './model.js';

/** Ground truth as callers send it: a class label (number or string) or a regression target. */
export type Label = number | string;

/** What faults can be injected into: a variant, or the running shadow (docs/shadow.md). */
export type FaultTarget = Variant | 'shadow';

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
  readonly faults: Readonly<Partial<Record<FaultTarget, FaultConfig>>>;
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

/** One row a shadow scored beside the primary, kept with the request id so a label joins both. */
export interface ShadowComparison {
  /** The shadow session (ShadowRouting.id) it belongs to. */
  readonly session: string;
  readonly requestId: string;
  readonly row: number;
  readonly model: string;
  readonly primaryVersion: number;
  readonly shadowVersion: number;
  readonly createdAt: number;
  readonly primaryPrediction: number | string;
  readonly primaryProbability: number | null;
  /** The whole request's latency, per side (a batch's rows share it). */
  readonly primaryLatencyMs: number;
  /** Null when the shadow failed. */
  readonly shadowPrediction: number | string | null;
  readonly shadowProbability: number | null;
  readonly shadowLatencyMs: number;
  /** Why the shadow call failed (error, timeout), or null. */
  readonly shadowError: string | null;
  /** |Δ probability| (the largest over classes for multiclass; |Δ value| for regressors); null when the shadow failed. */
  readonly absDelta: number | null;
  /** Whether the classes agree; null for regressors and failed calls. */
  readonly agree: boolean | null;
  readonly label: Label | null;
  readonly labelledAt: number | null;
}

/** A shadow session as kept after it ends: its routing, when it stopped, the last verdict it reached. */
export interface ShadowSessionRecord {
  readonly id: string;
  readonly model: string;
  readonly shadow: ShadowRouting;
  readonly stoppedAt: string | null;
  /** The last verdict the controller reported, as its view (JSON-ready). */
  readonly verdict: ShadowVerdictRecord | null;
}

export interface ShadowVerdictRecord {
  readonly status: 'pass' | 'fail' | 'inconclusive';
  readonly reason: string;
  readonly at: string;
}
