import type { Moments, QuantileSource } from '../../analysis/index.js';

export interface Bucket {
  /** Upper bound (Infinity for +Inf). */
  readonly le: number;
  /** Cumulative count of observations ≤ le. */
  readonly count: number;
}

/**
 * A latency distribution from a Prometheus histogram's buckets over a window. Quantiles are
 * interpolated linearly inside a bucket, as PromQL's histogram_quantile() does; one in the +Inf
 * bucket is the highest finite bound. Counts from increase() are extrapolated floats, and
 * bucket counts of a window can come out a hair non-monotonic: they are made monotonic first.
 */
export class BucketHistogram implements QuantileSource {
  private readonly buckets: readonly Bucket[];
  readonly count: number;

  constructor(raw: readonly Bucket[]) {
    const sorted = [...raw].filter((b) => !Number.isNaN(b.le) && Number.isFinite(b.count)).sort((a, b) => a.le - b.le);
    let running = 0;
    this.buckets = sorted.map((b) => ({ le: b.le, count: (running = Math.max(running, b.count)) }));
    const inf = this.buckets.at(-1);
    this.count = inf && inf.le === Infinity ? Math.round(inf.count) : 0;
  }

  quantile(q: number): number {
    const b = this.buckets;
    const total = b.at(-1)?.count ?? 0;
    if (total <= 0 || b.length < 2) return Number.NaN;
    const rank = q * total;
    let i = b.findIndex((x) => x.count >= rank);
    if (i < 0) i = b.length - 1;
    if (b[i]!.le === Infinity) return b[b.length - 2]!.le;
    const lower = i === 0 ? Math.min(0, b[0]!.le) : b[i - 1]!.le;
    const below = i === 0 ? 0 : b[i - 1]!.count;
    const inBucket = b[i]!.count - below;
    return inBucket <= 0 ? b[i]!.le : lower + ((b[i]!.le - lower) * (rank - below)) / inBucket;
  }

  /**
   * Count, mean and spread: the mean from the histogram's _sum/_count when given (exact), the
   * spread from bucket midpoints (an estimate: values are taken to sit mid-bucket, and those in
   * +Inf at the highest finite bound).
   */
  moments(sum: number | null, count: number | null): Moments | null {
    const b = this.buckets;
    if (this.count === 0) return null;
    const mids: { x: number; c: number }[] = [];
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!.count - (i === 0 ? 0 : b[i - 1]!.count);
      if (c <= 0) continue;
      const lower = i === 0 ? Math.min(0, b[0]!.le) : b[i - 1]!.le;
      mids.push({ x: b[i]!.le === Infinity ? lower : (lower + b[i]!.le) / 2, c });
    }
    const n = mids.reduce((a, m) => a + m.c, 0);
    const exact = sum !== null && count !== null && count > 0;
    const mean = exact ? sum / count : mids.reduce((a, m) => a + m.x * m.c, 0) / n;
    const m2 = mids.reduce((a, m) => a + m.c * (m.x - mean) ** 2, 0);
    return { n: Math.round(exact ? count : n), mean, m2: (m2 / n) * Math.round(exact ? count : n) };
  }
}
