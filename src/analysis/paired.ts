import betainc from '@stdlib/math-base-special-betainc';
import betaln from '@stdlib/math-base-special-betaln';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import binomialPmf from '@stdlib/stats-base-dists-binomial-pmf';
import type { Alternative } from './alternative.js';
import { normalPpf, tCdf, tSf } from './distributions.js';
import { variance, type Moments } from './moments.js';

/*
 * Paired comparisons, for a shadow scored on the very requests stable answered: only the pairs
 * where the two disagree carry evidence about which is more accurate, so far fewer labelled
 * requests decide than an unpaired comparison of two arms needs. Reference values: test/vectors/
 * paired.json (SciPy and statsmodels, by make_paired_vectors.py).
 */

/** Labelled requests both versions answered, by who was right. */
export interface PairedOutcomes {
  readonly both: number;
  /** Stable right, the shadow wrong. */
  readonly stableOnly: number;
  /** The shadow right, stable wrong. */
  readonly shadowOnly: number;
  readonly neither: number;
}

export interface McNemarResult {
  /** b: stable right and the shadow wrong; c: the other way round. */
  readonly b: number;
  readonly c: number;
  /** Two-sided exact p: min(1, 2·P(X ≤ min(b, c))), X ~ Binomial(b + c, ½). */
  readonly exactTwoSided: number;
  /** Its mid-p: 2·P(X < k) + P(X = k), less conservative, close to nominal on average. */
  readonly midPTwoSided: number;
  /** One-sided, the shadow worse (b > c): P(X ≥ b). */
  readonly exactGreater: number;
  readonly midPGreater: number;
}

/**
 * McNemar's exact test (statsmodels' `mcnemar(exact=True)`) and its mid-p. With p = ½ the
 * binomial is symmetric, so upper tails are read as lower ones (P(X ≥ b) = P(X ≤ n − b)) and stay
 * accurate when tiny.
 */
export function mcnemar(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, exactTwoSided: 1, midPTwoSided: 1, exactGreater: 1, midPGreater: 1 };
  const k = Math.min(b, c);
  const cdf = (x: number) => (x < 0 ? 0 : binomialCdf(x, n, 0.5));
  const pmf = (x: number) => binomialPmf(x, n, 0.5);
  return {
    b,
    c,
    exactTwoSided: Math.min(1, 2 * cdf(k)),
    midPTwoSided: Math.min(1, 2 * cdf(k) - pmf(k)),
    exactGreater: cdf(n - b),
    midPGreater: cdf(n - b - 1) + 0.5 * pmf(b),
  };
}

/**
 * The always-valid one-sided McNemar test, for checking after every label: among discordant
 * pairs, p = P(the shadow is the one wrong), ½ under H0. The likelihood ratio of p against ½,
 * mixed over a Beta(a, a) prior truncated to p > ½,
 *
 *   Λ = [B(a + b, a + c) / B(a, a)] · [(1 − I½(a + b, a + c)) / ½] / ½^(b + c),
 *
 * is a nonnegative martingale under H0, so by Ville's inequality stopping the first time
 * Λ ≥ 1/α keeps P(ever flagging a shadow no worse than stable) ≤ α, however often it is checked.
 * A larger `a` concentrates the prior near ½: more power for small differences, less for large.
 * (No library offers this mixture; the closed form needs only the beta function.)
 */
export function mcnemarSequentialLogLambda(b: number, c: number, a = 1): number {
  const logMix = betaln(a + b, a + c) - betaln(a, a);
  const upper = 1 - betainc(0.5, a + b, a + c);
  return logMix + Math.log(upper) - Math.log(0.5) - (b + c) * Math.log(0.5);
}

export interface PairedTResult {
  readonly t: number;
  readonly df: number;
  readonly pValue: number;
  readonly meanDiff: number;
}

/**
 * The paired t-test (scipy's `ttest_rel(y, x)`) from the summable moments of the per-request
 * differences d = shadow − stable: t = mean(d) / (sd(d) / √n), n − 1 degrees of freedom.
 * 'greater': the shadow's values larger.
 */
export function pairedTTest(diff: Moments, alternative: Alternative = 'two-sided'): PairedTResult {
  const n = diff.n;
  if (n < 2) return { t: Number.NaN, df: Math.max(0, n - 1), pValue: Number.NaN, meanDiff: n === 1 ? diff.mean : Number.NaN };
  const se = Math.sqrt(variance(diff) / n);
  const t = diff.mean / se;
  const df = n - 1;
  const pValue = alternative === 'greater' ? tSf(t, df) : alternative === 'less' ? tCdf(t, df) : Math.min(1, 2 * tSf(Math.abs(t), df));
  return { t, df, pValue, meanDiff: diff.mean };
}

/** The Wilson score interval of a proportion (statsmodels' `proportion_confint(method='wilson')`): the agreement rate's. */
export function wilsonInterval(count: number, nobs: number, alpha = 0.05): { lower: number; upper: number } {
  if (nobs <= 0) return { lower: 0, upper: 1 };
  const z = normalPpf(1 - alpha / 2);
  const p = count / nobs;
  const z2 = z * z;
  const center = (p + z2 / (2 * nobs)) / (1 + z2 / nobs);
  const half = (z / (1 + z2 / nobs)) * Math.sqrt((p * (1 - p)) / nobs + z2 / (4 * nobs * nobs));
  return { lower: center - half, upper: center + half };
}
