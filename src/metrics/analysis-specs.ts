import type { MetricSpec } from '../analysis/index.js';
import type { AnalysisMetricSpec } from '../domain/index.js';
import type { VariantMetrics } from './variant-metrics.js';

export interface DefaultAnalysisOptions {
  /** The lab's accuracy threshold, in percent. */
  readonly accuracyPct: number;
  /** The lab's p95 latency limit, in ms. */
  readonly latencyMs: number;
}

export interface BoundMetric {
  readonly spec: MetricSpec;
  readonly pick: (m: VariantMetrics) => VariantMetrics['samples'][keyof VariantMetrics['samples']];
}

const PICKERS: Record<AnalysisMetricSpec['metric'], BoundMetric['pick']> = {
  error_rate: (m) => m.samples.errors,
  latency: (m) => m.samples.latency,
  accuracy: (m) => m.samples.accuracy,
  mae: (m) => m.samples.absError,
  drift: (m) => m.samples.scores,
};

/** Binds metrics configured in a rollout spec to the telemetry samples their judges read. */
export function bindAnalysis(specs: readonly AnalysisMetricSpec[]): BoundMetric[] {
  return specs.map((s) => ({
    spec: { name: s.name, label: s.name.replace(/_/g, ' '), unit: s.metric === 'latency' ? 'ms' : s.metric === 'error_rate' || s.metric === 'accuracy' ? 'ratio' : 'none', critical: s.critical, required: s.required, judge: s.judge as unknown as MetricSpec['judge'] },
    pick: PICKERS[s.metric],
  }));
}

/**
 * The analysis coalmine runs when nobody configured one, tuned for the example model and safe
 * for continuous checking: sequential non-inferiority on error rate, latency and (when labels
 * flow) accuracy, plus the lab's fixed limits (p95 ≤ 100 ms, accuracy ≥ 85%).
 *
 * `latency` says what the measurements hold: a distribution (coalmine's telemetry, a Prometheus
 * histogram), only a mean without its spread (HAProxy's exported average), which is judged
 * against stable's mean as seed 003 does (at most 50% higher, plus 5 ms), or nothing.
 */
export function defaultAnalysis(o: DefaultAnalysisOptions, latency: 'distribution' | 'mean' | 'none' = 'distribution'): BoundMetric[] {
  const all = defaults(o);
  if (latency === 'distribution') return all;
  const rest = all.filter((m) => m.spec.name !== 'latency' && m.spec.name !== 'latency_p95');
  if (latency === 'none') return rest;
  return [
    rest[0]!,
    {
      spec: { name: 'latency', label: 'mean latency', unit: 'ms', judge: { judge: 'relative', statistic: 'mean', better: 'lower', maxIncrease: 0.5, slack: 5 } },
      pick: (m) => m.samples.latency,
    },
    ...rest.slice(1),
  ];
}

function defaults(o: DefaultAnalysisOptions): BoundMetric[] {
  return [
    {
      spec: { name: 'error_rate', label: 'error rate', unit: 'ratio', critical: true, judge: { judge: 'sequential', statistic: 'rate', better: 'lower', margin: 0.01, mde: 0.02 } },
      pick: (m) => m.samples.errors,
    },
    {
      spec: { name: 'latency', label: 'mean latency', unit: 'ms', judge: { judge: 'sequential', statistic: 'mean', better: 'lower', margin: 5, mde: 5 } },
      pick: (m) => m.samples.latency,
    },
    {
      spec: { name: 'latency_p95', label: 'p95 latency', unit: 'ms', judge: { judge: 'threshold', statistic: 'p95', max: o.latencyMs } },
      pick: (m) => m.samples.latency,
    },
    {
      spec: { name: 'accuracy', label: 'accuracy', unit: 'ratio', critical: true, required: false, judge: { judge: 'sequential', statistic: 'rate', better: 'higher', margin: 0.02, mde: 0.05 } },
      pick: (m) => m.samples.accuracy,
    },
    {
      spec: { name: 'accuracy_min', label: 'accuracy', unit: 'ratio', required: false, judge: { judge: 'threshold', statistic: 'rate', min: o.accuracyPct / 100 } },
      pick: (m) => m.samples.accuracy,
    },
  ];
}

type Metric = AnalysisMetricSpec['metric'];

/** Which judges and statistics fit each metric's samples (see VariantMetrics.samples). */
const FITS: Record<Metric, { readonly judges: readonly string[]; readonly statistics: string }> = {
  error_rate: { judges: ['threshold', 'relative', 'two_proportion', 'sequential'], statistics: 'rate' },
  accuracy: { judges: ['threshold', 'relative', 'two_proportion', 'sequential'], statistics: 'rate' },
  latency: { judges: ['threshold', 'relative', 'welch_t', 'mann_whitney', 'sequential'], statistics: 'mean or a quantile such as p95' },
  mae: { judges: ['threshold', 'relative', 'welch_t', 'sequential'], statistics: 'mean' },
  drift: { judges: ['drift'], statistics: '' },
};

function statisticFits(metric: Metric, statistic: string): boolean {
  if (metric === 'error_rate' || metric === 'accuracy') return statistic === 'rate';
  if (metric === 'mae') return statistic === 'mean';
  return statistic === 'mean' || /^p[0-9]/.test(statistic);
}

/**
 * Why a (valid) judge config cannot judge `metric`, or null when it can: a rate judge on latency
 * or a drift judge on accuracy would find none of the samples it reads and stay inconclusive forever.
 */
export function judgeMismatch(metric: Metric, judge: { readonly judge: string; readonly statistic?: string }): { field: string; message: string } | null {
  const fit = FITS[metric];
  if (!fit.judges.includes(judge.judge)) return { field: 'judge', message: `a ${judge.judge} judge cannot judge ${metric}; use ${fit.judges.join(', ')}` };
  if (judge.statistic !== undefined && !statisticFits(metric, judge.statistic)) return { field: 'statistic', message: `${metric} is judged by its ${fit.statistics}, not "${judge.statistic}"` };
  return null;
}
