import type { Alternative } from './alternative.js';
import { tCdf, tSf } from './distributions.js';
import { momentsOf, variance, type Moments } from './moments.js';

export interface TestResult {
  readonly statistic: number;
  readonly pValue: number;
}

export interface WelchResult extends TestResult {
  readonly df: number;
  /** mean_a - mean_b and its standard error. */
  readonly difference: number;
  readonly standardError: number;
}

/**
 * Welch's unequal-variance t-test from summaries, as scipy.stats.ttest_ind(equal_var=False).
 * Degenerate inputs are values, never throws: fewer than two values in a group, or no spread in
 * either group, give NaN statistic and p = NaN (the judge reports that as inconclusive).
 */
export function welchTTest(a: Moments, b: Moments, alternative: Alternative = 'two-sided'): WelchResult {
  const va = variance(a) / a.n;
  const vb = variance(b) / b.n;
  const se2 = va + vb;
  const difference = a.mean - b.mean;
  if (!(se2 > 0) || !Number.isFinite(se2)) {
    return { statistic: Number.NaN, pValue: Number.NaN, df: Number.NaN, difference, standardError: Math.sqrt(se2) };
  }
  const t = difference / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const pValue = alternative === 'greater' ? tSf(t, df) : alternative === 'less' ? tCdf(t, df) : Math.min(1, 2 * tSf(Math.abs(t), df));
  return { statistic: t, pValue, df, difference, standardError: Math.sqrt(se2) };
}

/**
 * Welch's test on raw samples. Both samples are shifted by a common reference first: t, df and p
 * do not change, but the means of the shifted values keep their full precision, where means of
 * values near 1e6 would each be rounded to a double and lose ~1e-10 of a small difference.
 */
export function welchTTestSamples(a: readonly number[], b: readonly number[], alternative: Alternative = 'two-sided'): WelchResult {
  const shift = a.length > 0 ? a[0]! : (b[0] ?? 0);
  const result = welchTTest(momentsOf(a.map((v) => v - shift)), momentsOf(b.map((v) => v - shift)), alternative);
  return result;
}
