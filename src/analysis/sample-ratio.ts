import { chiSquareSf } from './distributions.js';

export interface SampleRatioResult {
  readonly statistic: number;
  readonly df: number;
  readonly pValue: number;
  readonly expected: readonly number[];
  readonly observed: readonly number[];
  /** True when p < alpha: the split does not hold, so comparisons between the arms cannot be trusted. */
  readonly mismatch: boolean;
  readonly alpha: number;
}

/** Default alarm level: strict, because a false SRM alarm stops a rollout. */
export const SRM_ALPHA = 0.001;

/**
 * Sample-ratio mismatch: chi-square goodness of fit of observed counts per arm against the
 * configured weights (as scipy.stats.chisquare with f_exp = total · w). Arms with zero weight
 * are left out; with fewer than two arms left there is nothing to check (p = 1).
 */
export function sampleRatioMismatch(observed: readonly number[], weights: readonly number[], alpha = SRM_ALPHA): SampleRatioResult {
  const total = observed.reduce((s, v) => s + v, 0);
  const wsum = weights.reduce((s, v) => s + v, 0);
  const arms = observed.map((o, i) => ({ o, w: (weights[i] ?? 0) / (wsum || 1) })).filter((a) => a.w > 0);
  const expected = arms.map((a) => total * a.w);
  const unexpected = observed.some((o, i) => (weights[i] ?? 0) === 0 && o > 0);
  if (arms.length < 2 || total === 0) {
    return { statistic: 0, df: Math.max(0, arms.length - 1), pValue: unexpected ? 0 : 1, expected, observed, mismatch: unexpected, alpha };
  }
  let statistic = 0;
  arms.forEach((a, i) => {
    const e = expected[i]!;
    statistic += ((a.o - e) * (a.o - e)) / e;
  });
  const df = arms.length - 1;
  const pValue = unexpected ? 0 : chiSquareSf(statistic, df);
  return { statistic, df, pValue, expected, observed, mismatch: pValue < alpha, alpha };
}
