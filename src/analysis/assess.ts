import type { Verdict, VerdictStatus } from '../domain/index.js';
import { judge } from './judges/judge.js';
import type { JudgeConfig } from './judges/judge-config.js';
import type { MetricSample, Unit } from './metric-sample.js';
import { sampleRatioMismatch, SRM_ALPHA, type SampleRatioResult } from './sample-ratio.js';

export interface MetricSpec {
  readonly name: string;
  /** How the statistic reads in a sentence, e.g. "p95 latency"; defaults to the name. */
  readonly label?: string;
  readonly unit?: Unit;
  /** A critical metric's failure fails the analysis outright (the controller rolls back at once). */
  readonly critical?: boolean;
  /** An optional metric (e.g. accuracy, when labels may not flow) does not hold back a pass while inconclusive. */
  readonly required?: boolean;
  readonly judge: JudgeConfig;
}

export interface SrmInput {
  /** Requests per variant, forced requests excluded. */
  readonly observed: { readonly stable: number; readonly canary: number };
  /** Configured weights, in any unit (percent, basis points, fractions). */
  readonly weights: { readonly stable: number; readonly canary: number };
  readonly alpha?: number;
}

export interface AssessInput {
  readonly srm?: SrmInput;
  readonly metrics: readonly { readonly spec: MetricSpec; readonly stable: MetricSample; readonly canary: MetricSample }[];
}

export interface MetricVerdict extends Verdict {
  readonly critical: boolean;
  readonly required: boolean;
}

export interface Assessment {
  readonly status: VerdictStatus;
  readonly reason: string;
  /** The sample-ratio check; `mismatch` means the metrics were not judged. */
  readonly srm: SampleRatioResult | null;
  readonly criticalFailure: boolean;
  readonly verdicts: readonly MetricVerdict[];
}

function srmReason(r: SampleRatioResult): string {
  const [os, oc] = r.observed;
  const [es, ec] = r.expected;
  return (
    `sample ratio mismatch: stable/canary got ${os}/${oc} requests where the weights expect ${Math.round(es ?? 0)}/${Math.round(ec ?? 0)} ` +
    `(chi-square ${r.statistic.toFixed(1)}, p = ${r.pValue.toExponential(1)} < ${r.alpha}); the split is not working as configured, ` +
    `so comparisons between the variants cannot be trusted and no metric was judged`
  );
}

/**
 * Judges a canary against stable on every metric and combines the verdicts:
 * - the SRM check comes first: if the split does not hold, the result is inconclusive with
 *   `srm.mismatch`, and no metric is judged (the controller pauses instead of deciding);
 * - any failing metric fails the analysis (`criticalFailure` when a critical one does);
 * - it passes when every required metric passes; otherwise it is inconclusive.
 */
export function assess(input: AssessInput): Assessment {
  const srm = input.srm
    ? sampleRatioMismatch([input.srm.observed.stable, input.srm.observed.canary], [input.srm.weights.stable, input.srm.weights.canary], input.srm.alpha ?? SRM_ALPHA)
    : null;
  if (srm?.mismatch) {
    const reason = srmReason(srm);
    const verdicts = input.metrics.map(({ spec }) => ({
      metric: spec.name,
      status: 'inconclusive' as const,
      reason: `not judged: ${reason}`,
      evidence: { method: 'srm', statistic: 'n/a', n: { stable: srm.observed[0]!, canary: srm.observed[1]! }, estimate: { stable: null, canary: null }, effect: { absolute: null, relative: null } },
      critical: spec.critical ?? false,
      required: spec.required ?? true,
    }));
    return { status: 'inconclusive', reason, srm, criticalFailure: false, verdicts };
  }
  const verdicts: MetricVerdict[] = input.metrics.map(({ spec, stable, canary }) => ({
    ...judge({ metric: spec.name, unit: spec.unit ?? 'none', label: spec.label ?? spec.name }, stable, canary, spec.judge),
    critical: spec.critical ?? false,
    required: spec.required ?? true,
  }));
  const failed = verdicts.filter((v) => v.status === 'fail');
  const waiting = verdicts.filter((v) => v.status === 'inconclusive' && v.required);
  if (failed.length > 0) {
    const critical = failed.some((v) => v.critical);
    const names = failed.map((v) => `${v.metric}${v.critical ? ' (critical)' : ''}`).join(', ');
    return { status: 'fail', reason: `failed: ${names}. ${failed.map((v) => v.reason).join('; ')}`, srm, criticalFailure: critical, verdicts };
  }
  if (waiting.length > 0) {
    return { status: 'inconclusive', reason: `waiting for evidence on ${waiting.map((v) => v.metric).join(', ')}. ${waiting.map((v) => v.reason).join('; ')}`, srm, criticalFailure: false, verdicts };
  }
  if (verdicts.length === 0) return { status: 'inconclusive', reason: 'no metrics to judge', srm, criticalFailure: false, verdicts };
  return { status: 'pass', reason: `all required metrics pass: ${verdicts.filter((v) => v.status === 'pass').map((v) => v.metric).join(', ')}`, srm, criticalFailure: false, verdicts };
}
