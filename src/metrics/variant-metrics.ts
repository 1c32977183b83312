import type { MetricSample } from '../analysis/index.js';
import type { Variant } from '../domain/index.js';
import type { MergedStats } from '../telemetry/index.js';

export interface LatencySummary {
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** What one variant did in a window: headline numbers for people, samples for the judges. */
export interface VariantMetrics {
  readonly variant: Variant;
  readonly versions: readonly number[];
  readonly requests: number;
  readonly forcedRequests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly latencyMs: LatencySummary;
  readonly predictions: number;
  readonly positiveRate: number | null;
  readonly labelled: number;
  readonly correct: number;
  readonly accuracy: number | null;
  readonly mae: number | null;
  readonly rmse: number | null;
  readonly samples: {
    readonly errors: MetricSample;
    readonly latency: MetricSample;
    readonly accuracy: MetricSample;
    readonly absError: MetricSample;
    readonly scores: MetricSample;
  };
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function toVariantMetrics(variant: Variant, versions: readonly number[], s: MergedStats, forced: MergedStats): VariantMetrics {
  const q = (p: number) => finite(s.sketch.quantile(p));
  return {
    variant,
    versions,
    requests: s.requests,
    forcedRequests: forced.requests,
    errors: s.errors,
    errorRate: ratio(s.errors, s.requests),
    latencyMs: { mean: s.latency.n > 0 ? s.latency.mean : null, p50: q(0.5), p95: q(0.95), p99: q(0.99) },
    predictions: s.predictions,
    positiveRate: ratio(s.positives, s.predictions),
    labelled: s.labelled,
    correct: s.correct,
    accuracy: s.absError.n > 0 ? null : ratio(s.correct, s.labelled),
    mae: s.absError.n > 0 ? s.absError.mean : null,
    rmse: s.absError.n > 0 ? Math.sqrt(s.squaredError / s.absError.n) : null,
    samples: {
      errors: { proportion: { successes: s.errors, trials: s.requests } },
      latency: { moments: s.latency, sketch: s.sketch, values: s.values },
      accuracy: { proportion: { successes: s.correct, trials: s.absError.n > 0 ? 0 : s.labelled } },
      absError: { moments: s.absError },
      scores: { histogram: s.scores },
    },
  };
}

export function emptyVariantMetrics(variant: Variant): VariantMetrics {
  return {
    variant,
    versions: [],
    requests: 0,
    forcedRequests: 0,
    errors: 0,
    errorRate: null,
    latencyMs: { mean: null, p50: null, p95: null, p99: null },
    predictions: 0,
    positiveRate: null,
    labelled: 0,
    correct: 0,
    accuracy: null,
    mae: null,
    rmse: null,
    samples: { errors: {}, latency: {}, accuracy: {}, absError: {}, scores: {} },
  };
}
