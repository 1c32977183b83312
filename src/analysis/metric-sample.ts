import type { Histogram } from './drift.js';
import type { QuantileSource } from './latency-sketch.js';
import type { Moments } from './moments.js';
import type { Proportion } from './two-proportion.js';

/**
 * What one variant's telemetry says about one metric, in whichever forms the metric has:
 * summable moments (means), a proportion (rates), a quantile sketch, a bounded raw sample
 * (rank tests) and a histogram (drift). A judge reads the form its statistic needs.
 */
export interface MetricSample {
  readonly moments?: Moments;
  readonly proportion?: Proportion;
  readonly sketch?: QuantileSource;
  readonly values?: readonly number[];
  readonly histogram?: Histogram;
  /** A mean without its spread (an exporter's running average): enough for threshold and relative judges, not for tests. */
  readonly mean?: { readonly value: number; readonly n: number };
}

/** Which way is good: latency and error rate `lower`, accuracy `higher`. */
export type Better = 'lower' | 'higher';

/** `mean`, `rate`, or a quantile such as `p50`, `p95`, `p99`. */
export type Statistic = 'mean' | 'rate' | `p${number}`;

/** How numbers of a metric read in a verdict: `ms`, `ratio` (shown as %), or plain. */
export type Unit = 'ms' | 'ratio' | 'none';

export interface Estimate {
  readonly value: number | null;
  readonly n: number;
}

export function quantileOf(statistic: Statistic): number | null {
  const m = /^p(\d+(?:\.\d+)?)$/.exec(statistic);
  return m ? Number(m[1]) / 100 : null;
}

/** The statistic's value and the number of observations behind it; null when the form is missing or empty. */
export function estimate(sample: MetricSample, statistic: Statistic): Estimate {
  if (statistic === 'mean') {
    const m = sample.moments;
    if (!m && sample.mean) return sample.mean.n > 0 ? { value: sample.mean.value, n: sample.mean.n } : { value: null, n: 0 };
    return m && m.n > 0 ? { value: m.mean, n: m.n } : { value: null, n: m?.n ?? 0 };
  }
  if (statistic === 'rate') {
    const p = sample.proportion;
    return p && p.trials > 0 ? { value: p.successes / p.trials, n: p.trials } : { value: null, n: p?.trials ?? 0 };
  }
  const q = quantileOf(statistic);
  const s = sample.sketch;
  if (q === null || !s || s.count === 0) return { value: null, n: s?.count ?? 0 };
  return { value: s.quantile(q), n: s.count };
}
