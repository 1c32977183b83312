import type { Alternative } from './alternative.js';
import { normalCdf, normalSf } from './distributions.js';

export interface Proportion {
  readonly successes: number;
  readonly trials: number;
}

export const rate = (p: Proportion): number => (p.trials === 0 ? Number.NaN : p.successes / p.trials);

export interface ProportionTestResult {
  readonly statistic: number;
  readonly pValue: number;
  /** p1 - p2. */
  readonly difference: number;
}

function pFrom(z: number, alternative: Alternative): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (alternative === 'greater') return normalSf(z);
  if (alternative === 'less') return normalCdf(z);
  return Math.min(1, 2 * normalSf(Math.abs(z)));
}

/**
 * Two-proportion z-test of p1 - p2 without continuity correction: pooled standard error as
 * statsmodels' proportions_ztest, or unpooled. A zero standard error (0/n vs 0/n) gives NaN.
 */
export function twoProportionZTest(x: Proportion, y: Proportion, alternative: Alternative = 'two-sided', pooled = true): ProportionTestResult {
  const p1 = rate(x);
  const p2 = rate(y);
  const difference = p1 - p2;
  let se: number;
  if (pooled) {
    const pbar = (x.successes + y.successes) / (x.trials + y.trials);
    se = Math.sqrt(pbar * (1 - pbar) * (1 / x.trials + 1 / y.trials));
  } else {
    se = Math.sqrt((p1 * (1 - p1)) / x.trials + (p2 * (1 - p2)) / y.trials);
  }
  const z = se > 0 ? difference / se : Number.NaN;
  return { statistic: z, pValue: pFrom(z, alternative), difference };
}
