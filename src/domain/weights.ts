import { appError } from './errors.js';

/**
 * Weights are kept as integer basis points (1/100 of a percent) so that 0.5% or 12.25% round-trip
 * exactly through JSON, SQLite and the splitter's 10,000 hash buckets.
 */
export const FULL_WEIGHT_BP = 10_000;

export type BasisPoints = number;

export function percentToBasisPoints(percent: unknown, what = 'canary weight'): BasisPoints {
  if (typeof percent !== 'number' || !Number.isFinite(percent)) {
    throw appError('invalid_weight', `${what} must be a finite number of percent between 0 and 100`);
  }
  if (percent < 0 || percent > 100) {
    throw appError('invalid_weight', `${what} must be between 0 and 100 percent, got ${percent}`);
  }
  const bp = Math.round(percent * 100);
  // The second test catches what rounds to 0 within the tolerance (1e-300 would be stored as 0%).
  if (Math.abs(bp - percent * 100) > 1e-6 || (bp === 0 && percent !== 0)) {
    throw appError('invalid_weight', `${what} ${percent}% is finer than 0.01%: round it to two decimals`);
  }
  return bp;
}

export function basisPointsToPercent(bp: BasisPoints): number {
  return bp / 100;
}

/**
 * Seed 004 gives a split as fractions that must sum to 1 (`{"stable": 0.9, "canary": 0.1}`).
 * Returns the canary share in basis points, or refuses a split that does not add up.
 */
export function fractionsToCanaryBasisPoints(split: Readonly<Record<string, number>>): BasisPoints {
  const keys = Object.keys(split);
  const known = new Set(['stable', 'production', 'canary']);
  const unknown = keys.filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw appError('invalid_weight', `unknown variant(s) in weights: ${unknown.join(', ')}; use stable and canary`);
  }
  if ('stable' in split && 'production' in split) {
    throw appError('invalid_weight', 'give stable or production in weights, not both');
  }
  const stable = split.stable ?? split.production;
  const canary = split.canary;
  if (stable === undefined || canary === undefined) {
    throw appError('invalid_weight', 'weights as fractions need both stable and canary, e.g. {"stable": 0.9, "canary": 0.1}');
  }
  for (const [name, value] of [['stable', stable], ['canary', canary]] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw appError('invalid_weight', `weight of ${name} must be a fraction between 0 and 1, got ${value}`);
    }
  }
  if (Math.abs(stable + canary - 1) > 1e-9) {
    throw appError('invalid_weight', `weights must sum to 1, got ${stable} + ${canary} = ${stable + canary}`);
  }
  return percentToBasisPoints(canary * 100, 'canary weight');
}
