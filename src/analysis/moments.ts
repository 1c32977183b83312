/**
 * Summable statistics of a stream of numbers: count, mean and the sum of squared deviations (M2).
 * Equivalent to {n, sum, sumSquares} but merged with Chan's formula instead of subtracting
 * sumSquares - sum²/n, which loses every digit when values sit far from zero (latencies around
 * 1e6 µs with a spread of a few µs, say).
 */
export interface Moments {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
}

export const EMPTY_MOMENTS: Moments = Object.freeze({ n: 0, mean: 0, m2: 0 });

/** Adds one value (Welford). */
export function addValue(m: Moments, x: number): Moments {
  const n = m.n + 1;
  const d = x - m.mean;
  const mean = m.mean + d / n;
  return { n, mean, m2: m.m2 + d * (x - mean) };
}

/** Merges two summaries of disjoint streams (Chan et al.). */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const d = b.mean - a.mean;
  return { n, mean: a.mean + (d * b.n) / n, m2: a.m2 + b.m2 + (d * d * a.n * b.n) / n };
}

/** Neumaier's compensated sum: within an ulp or so of the exact sum, even for values far from zero. */
function compensatedSum(values: readonly number[]): number {
  let sum = 0;
  let c = 0;
  for (const v of values) {
    const t = sum + v;
    c += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + c;
}

export function momentsOf(values: readonly number[]): Moments {
  // Two passes, as numpy does: an accurately summed mean first, then the deviations from it.
  const n = values.length;
  if (n === 0) return EMPTY_MOMENTS;
  const mean = compensatedSum(values) / n;
  let m2 = 0;
  let comp = 0;
  for (const v of values) {
    const d = v - mean;
    m2 += d * d;
    comp += d;
  }
  return { n, mean, m2: m2 - (comp * comp) / n };
}

/** Sample variance (ddof = 1); NaN below two values. */
export function variance(m: Moments): number {
  return m.n < 2 ? Number.NaN : Math.max(0, m.m2) / (m.n - 1);
}

export function sum(m: Moments): number {
  return m.mean * m.n;
}

export function sumSquares(m: Moments): number {
  return m.m2 + m.n * m.mean * m.mean;
}
