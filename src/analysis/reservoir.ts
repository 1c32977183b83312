/**
 * A bounded uniform sample of a stream (Vitter's Algorithm R), for the tests that need raw values
 * (Mann-Whitney). Pure: the caller passes the random source, so tests are repeatable.
 */
export interface Reservoir {
  readonly capacity: number;
  /** Values offered so far (the sample stands for this many). */
  readonly seen: number;
  readonly values: readonly number[];
}

export const emptyReservoir = (capacity: number): Reservoir => ({ capacity, seen: 0, values: [] });

export function offer(r: Reservoir, value: number, random: () => number): Reservoir {
  const seen = r.seen + 1;
  if (r.values.length < r.capacity) return { capacity: r.capacity, seen, values: [...r.values, value] };
  const j = Math.floor(random() * seen);
  if (j >= r.capacity) return { ...r, seen };
  const values = [...r.values];
  values[j] = value;
  return { capacity: r.capacity, seen, values };
}

/**
 * Merges two reservoirs of disjoint streams into a uniform sample of their union. Each slot is a
 * draw without replacement from the union's population: from side A with probability
 * (A's remaining population) / (both remaining), then a random unused value of that side.
 */
export function mergeReservoirs(a: Reservoir, b: Reservoir, random: () => number): Reservoir {
  const capacity = Math.max(a.capacity, b.capacity);
  const seen = a.seen + b.seen;
  if (a.values.length + b.values.length <= capacity) return { capacity, seen, values: [...a.values, ...b.values] };
  const pools: [number[], number[]] = [[...a.values], [...b.values]];
  const remaining = [a.seen, b.seen];
  const out: number[] = [];
  while (out.length < capacity && (pools[0].length > 0 || pools[1].length > 0)) {
    const side = pools[1].length === 0 || (pools[0].length > 0 && random() * (remaining[0]! + remaining[1]!) < remaining[0]!) ? 0 : 1;
    const pool = pools[side];
    const k = Math.floor(random() * pool.length);
    out.push(pool[k]!);
    pool[k] = pool[pool.length - 1]!;
    pool.pop();
    remaining[side]!--;
  }
  return { capacity, seen, values: out };
}
