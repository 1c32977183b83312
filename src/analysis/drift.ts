/**
 * Prediction drift between the variants' score distributions, from histograms over the same bins
 * (telemetry keeps one per variant). Two views: the population stability index, the industry's
 * rule of thumb (< 0.1 stable, 0.1–0.25 moderate, > 0.25 major shift), and a two-sample
 * Kolmogorov–Smirnov test on the binned CDFs, which says whether the shift is more than noise.
 */
export interface Histogram {
  /** Bin edges, ascending; counts[i] covers [edges[i], edges[i+1]). */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

const total = (h: Histogram): number => h.counts.reduce((s, c) => s + c, 0);

function sameBins(a: Histogram, b: Histogram): void {
  if (a.counts.length !== b.counts.length || a.edges.some((e, i) => e !== b.edges[i])) {
    throw new Error('drift: histograms must share the same bins');
  }
}

/**
 * PSI = Σ (qᵢ − pᵢ) · ln(qᵢ / pᵢ) over bins, with p the reference (stable) shares and q the
 * canary's. Empty bins get a share of `epsilon` so the sum stays finite (the usual convention).
 */
export function populationStabilityIndex(reference: Histogram, actual: Histogram, epsilon = 1e-4): number {
  sameBins(reference, actual);
  const nr = total(reference);
  const na = total(actual);
  if (nr === 0 || na === 0) return Number.NaN;
  let psi = 0;
  for (let i = 0; i < reference.counts.length; i++) {
    const p = Math.max(reference.counts[i]! / nr, epsilon);
    const q = Math.max(actual.counts[i]! / na, epsilon);
    psi += (q - p) * Math.log(q / p);
  }
  return psi;
}

/** Kolmogorov distribution's survival function Q(λ) = 2 Σ (−1)^(k−1) exp(−2 k² λ²). */
export function kolmogorovSf(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 0.2) return 1; // the series converges slowly there and the value is 1 to 1e-10
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-16) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

export interface KsResult {
  /** Largest gap between the two empirical CDFs, at the bin edges. */
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Two-sample KS test on binned data, with the asymptotic p-value and Stephens' small-sample
 * correction. Binning can only hide differences inside a bin, so the test is conservative:
 * a small p is trustworthy, a large p means no shift visible at this resolution.
 */
export function ksTestBinned(a: Histogram, b: Histogram): KsResult {
  sameBins(a, b);
  const na = total(a);
  const nb = total(b);
  if (na === 0 || nb === 0) return { statistic: Number.NaN, pValue: Number.NaN };
  let ca = 0;
  let cb = 0;
  let d = 0;
  for (let i = 0; i < a.counts.length; i++) {
    ca += a.counts[i]!;
    cb += b.counts[i]!;
    d = Math.max(d, Math.abs(ca / na - cb / nb));
  }
  const en = Math.sqrt((na * nb) / (na + nb));
  return { statistic: d, pValue: kolmogorovSf((en + 0.12 + 0.11 / en) * d) };
}

/** Equal-width bins over [lo, hi]; values outside are clamped into the end bins. */
export function histogramOf(values: readonly number[], lo = 0, hi = 1, bins = 20): Histogram {
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[i]!++;
  }
  return { edges, counts };
}
