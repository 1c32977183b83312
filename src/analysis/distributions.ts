import betainc from '@stdlib/math-base-special-betainc';
import erfcinv from '@stdlib/math-base-special-erfcinv';
import gammainc from '@stdlib/math-base-special-gammainc';
import gammaln from '@stdlib/math-base-special-gammaln';
import normalCdfStd from '@stdlib/stats-base-dists-normal-cdf';
import tCdfStd from '@stdlib/stats-base-dists-t-cdf';
import tQuantileStd from '@stdlib/stats-base-dists-t-quantile';

/**
 * Distribution functions, from @stdlib where it is accurate (checked against SciPy in
 * stats.vectors.test.ts). Upper tails use symmetry or the upper incomplete gamma directly, never
 * `1 - cdf`, so tiny p-values keep their relative accuracy.
 */

export const normalCdf = (x: number): number => normalCdfStd(x, 0, 1);
export const normalSf = (x: number): number => normalCdfStd(-x, 0, 1);

/**
 * Standard normal quantile. @stdlib's normal-quantile returns -Infinity below p ≈ 1e-16, so this
 * uses the inverse complementary error function, which stays accurate down to 1e-300.
 */
export function normalPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  return -Math.SQRT2 * erfcinv(2 * p);
}

export const tCdf = (x: number, df: number): number => tCdfStd(x, df);
export const tSf = (x: number, df: number): number => tCdfStd(-x, df);
export const tPpf = (p: number, df: number): number => tQuantileStd(p, df);

/** Upper tail of the chi-square distribution: the regularized upper incomplete gamma Q(k/2, x/2). */
export function chiSquareSf(x: number, df: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, df / 2, true, true);
}

/**
 * CDF of the noncentral t distribution, P(T <= t; df, delta), by Lenth's algorithm AS 243 (1989),
 * the method SciPy's and R's implementations descend from. Written by hand: no maintained npm
 * package provides a noncentral t; it is only needed by the power analysis.
 */
export function nonCentralTCdf(t: number, df: number, delta: number): number {
  const ERRMAX = 1e-13;
  const ITRMAX = 2000;
  const negative = t < 0;
  const tt = negative ? -t : t;
  const del = negative ? -delta : delta;
  let tnc = 0;
  const x = (tt * tt) / (tt * tt + df);
  if (x > 0) {
    const lambda = del * del;
    let p = 0.5 * Math.exp(-0.5 * lambda);
    let q = Math.sqrt(2 / Math.PI) * p * del;
    let s = 0.5 - p;
    if (s < 1e-7) s = -0.5 * Math.expm1(-0.5 * lambda); // keeps the error bound meaningful for tiny lambda
    let a = 0.5;
    const b = 0.5 * df;
    const rxb = Math.pow(1 - x, b);
    const albeta = 0.5 * Math.log(Math.PI) + gammaln(b) - gammaln(0.5 + b);
    let xodd = betainc(x, a, b, true, false);
    let godd = 2 * rxb * Math.exp(a * Math.log(x) - albeta);
    let xeven = 1 - rxb;
    let geven = b * x * rxb;
    tnc = p * xodd + q * xeven;
    for (let en = 1; en <= ITRMAX; en++) {
      a += 1;
      xodd -= godd;
      xeven -= geven;
      godd *= (x * (a + b - 1)) / a;
      geven *= (x * (a + b - 0.5)) / (a + 0.5);
      p *= lambda / (2 * en);
      q *= lambda / (2 * en + 1);
      s -= p;
      tnc += p * xodd + q * xeven;
      if (2 * s * (xodd - godd) <= ERRMAX) break;
    }
  }
  tnc += normalCdf(-del);
  if (negative) tnc = 1 - tnc;
  return Math.min(1, Math.max(0, tnc));
}

export const nonCentralTSf = (t: number, df: number, delta: number): number => 1 - nonCentralTCdf(t, df, delta);
