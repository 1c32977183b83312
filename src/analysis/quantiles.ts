/** numpy.quantile's 'linear' and 'higher' methods on an unsorted sample; NaN for an empty one. */
export function quantile(values: readonly number[], q: number, method: 'linear' | 'higher' = 'linear'): number {
  if (values.length === 0 || q < 0 || q > 1 || Number.isNaN(q)) return Number.NaN;
  return quantileSorted([...values].sort((a, b) => a - b), q, method);
}

export function quantileSorted(sorted: readonly number[], q: number, method: 'linear' | 'higher' = 'linear'): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  if (method === 'higher') return sorted[Math.ceil(h)]!;
  const i = Math.floor(h);
  const g = h - i;
  if (i + 1 >= n) return sorted[n - 1]!;
  const lo = sorted[i]!;
  const hi = sorted[i + 1]!;
  // numpy's _lerp: evaluated from the upper end when g >= 0.5, which matters in the last ulp.
  return g >= 0.5 ? hi - (hi - lo) * (1 - g) : lo + (hi - lo) * g;
}
