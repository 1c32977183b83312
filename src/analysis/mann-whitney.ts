import type { Alternative } from './alternative.js';
import { normalSf } from './distributions.js';

export interface MannWhitneyResult {
  /** U of the first sample (U1). */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
  /** z of the normal approximation (asymptotic only). */
  readonly z?: number;
}

export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

/** Largest group size for which the exact null distribution is computed. */
export const MANN_WHITNEY_EXACT_MAX = 20;

interface Ranked {
  readonly r1: number;
  readonly tieTerm: number;
}

/** Midrank sum of sample a in the pooled sample, and Σ(t³ - t) over tie groups. */
function rank(a: readonly number[], b: readonly number[]): Ranked {
  const pooled = [...a.map((v) => [v, 0] as const), ...b.map((v) => [v, 1] as const)].sort((x, y) => x[0] - y[0]);
  let r1 = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]![0] === pooled[i]![0]) j++;
    const t = j - i + 1;
    const midrank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pooled[k]![1] === 0) r1 += midrank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { r1, tieTerm };
}

/**
 * Null distribution of U for group sizes (m, n) without ties: counts of arrangements giving each
 * U, by the recursion c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u). Written by hand: no maintained
 * npm package offers an exact Mann-Whitney distribution.
 */
function exactCounts(m: number, n: number): Float64Array[] {
  // table[i][j] is the count vector for sizes (i, n') built up over n' — compute iteratively on n.
  let prev: Float64Array[] = Array.from({ length: m + 1 }, () => Float64Array.of(1));
  for (let nn = 1; nn <= n; nn++) {
    const cur: Float64Array[] = [Float64Array.of(1)];
    for (let mm = 1; mm <= m; mm++) {
      const size = mm * nn + 1;
      const out = new Float64Array(size);
      const left = cur[mm - 1]!; // c(mm-1, nn, u - nn)
      const up = prev[mm]!; // c(mm, nn-1, u)
      for (let u = 0; u < size; u++) out[u] = (u - nn >= 0 && u - nn < left.length ? left[u - nn]! : 0) + (u < up.length ? up[u]! : 0);
      cur.push(out);
    }
    prev = cur;
  }
  return prev;
}

function exactSf(m: number, n: number, u: number): number {
  const counts = exactCounts(m, n)[m]!;
  let total = 0;
  let tail = 0;
  for (let k = 0; k < counts.length; k++) {
    total += counts[k]!;
    if (k >= u) tail += counts[k]!;
  }
  return tail / total;
}

/**
 * Mann-Whitney U test, as scipy.stats.mannwhitneyu: the asymptotic p with tie correction and a
 * continuity correction (SciPy subtracts 0.5 from U* itself), or the exact p for tie-free samples.
 * 'auto' uses exact when there are no ties and both groups have at most 20 values.
 */
export function mannWhitneyU(
  a: readonly number[],
  b: readonly number[],
  alternative: Alternative = 'two-sided',
  method: MannWhitneyMethod = 'auto',
): MannWhitneyResult {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0) return { statistic: Number.NaN, pValue: Number.NaN, method: 'asymptotic' };
  const { r1, tieTerm } = rank(a, b);
  const u1 = r1 - (na * (na + 1)) / 2;
  const u2 = na * nb - u1;
  const uStar = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  const factor = alternative === 'two-sided' ? 2 : 1;
  const useExact = method === 'exact' || (method === 'auto' && tieTerm === 0 && na <= MANN_WHITNEY_EXACT_MAX && nb <= MANN_WHITNEY_EXACT_MAX);
  if (useExact) {
    return { statistic: u1, pValue: Math.min(1, factor * exactSf(na, nb, uStar)), method: 'exact' };
  }
  const N = na + nb;
  const sd = Math.sqrt(((na * nb) / 12) * (N + 1 - tieTerm / (N * (N - 1))));
  const z = (uStar - (na * nb) / 2 - 0.5) / sd;
  return { statistic: u1, pValue: Math.min(1, Math.max(0, factor * normalSf(z))), method: 'asymptotic', z };
}
