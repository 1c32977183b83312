import { SeededRandom } from './seeded-random.js';

/**
 * A synthetic customer-churn data set with five numeric features, like the take-home seed's
 * `{"features": [0.5, 1.2, 0.8, 0.3, 1.1]}`. Churn depends linearly on the features plus an
 * interaction (expensive plans hurt more when usage drops) and a saturation in support calls,
 * so a linear model reaches about 90% held-out accuracy and one with quadratic terms a few
 * points more: the two example versions differ measurably, as a real retrain would.
 */
export const CHURN_FEATURES = [
  'tenure_years',
  'monthly_charges_100usd',
  'support_calls',
  'usage_drop',
  'satisfaction',
] as const;

export interface LabelledRow {
  readonly features: number[];
  readonly label: 0 | 1;
}

export const CHURN_SEED = 20_251_121;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function churnScore(f: readonly number[]): number {
  const [tenure, charges, calls, usage, satisfaction] = f as [number, number, number, number, number];
  return (
    0.4 - 1.5 * tenure + 2.4 * charges + 1.5 * calls + 0.8 * usage - 1.8 * satisfaction +
    3.2 * usage * charges - 0.35 * calls * calls + 0.25 * tenure * tenure
  );
}

/** `count` labelled rows; the same seed always yields the same rows. */
export function churnRows(count: number, seed = CHURN_SEED): LabelledRow[] {
  const rng = new SeededRandom(seed);
  const rows: LabelledRow[] = [];
  for (let i = 0; i < count; i++) {
    const features = [
      round3(rng.uniform(0, 6)),
      round3(rng.uniform(0.2, 1.5)),
      round3(Math.min(rng.exponential(1.2), 6)),
      round3(rng.normal()),
      round3(rng.uniform(0, 2)),
    ];
    const label = churnScore(features) + 0.35 * rng.logistic() > 0 ? 1 : 0;
    rows.push({ features, label });
  }
  return rows;
}
