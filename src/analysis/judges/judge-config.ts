import type { Better, Statistic } from '../metric-sample.js';

interface Common {
  /** Fewest observations per variant before any verdict; below it the verdict is inconclusive. */
  readonly minSamples?: number;
}

/** Canary against a fixed limit: "accuracy ≥ 85%", "p95 ≤ 100 ms", "error rate ≤ 5%". */
export interface ThresholdJudgeConfig extends Common {
  readonly judge: 'threshold';
  readonly statistic: Statistic;
  readonly max?: number;
  readonly min?: number;
}

/** Canary against stable: "latency may rise at most 50%", "error rate at most 1.5× stable". */
export interface RelativeJudgeConfig extends Common {
  readonly judge: 'relative';
  readonly statistic: Statistic;
  readonly better: Better;
  /** For `better: lower`: canary ≤ stable · (1 + maxIncrease) + slack. */
  readonly maxIncrease?: number;
  /** For `better: higher`: canary ≥ stable · (1 − maxDecrease) − slack. */
  readonly maxDecrease?: number;
  /** Absolute allowance, so a stable error rate of 0 does not forbid every canary error. */
  readonly slack?: number;
}

/** A classical test, checked once enough samples exist: fail when the canary is significantly worse. */
export interface StatisticalJudgeConfig extends Common {
  readonly judge: 'welch_t' | 'mann_whitney' | 'two_proportion';
  readonly better: Better;
  readonly alpha?: number;
  /** Smallest regression worth detecting; with it, a pass also needs the power-analysis sample size. */
  readonly mde?: number;
  readonly power?: number;
  /**
   * No verdict at all, not even a fail, until the power-analysis sample size for `mde` is reached
   * (the take-home's "at least 36 samples before testing"): a one-shot test on a handful of
   * samples is too easily swayed by a few outliers.
   */
  readonly powerGate?: boolean;
  /**
   * Standard deviation of one observation to plan with, instead of the one observed: estimated
   * from a handful of samples the spread is too uncertain to size a test (the take-home assumes 15 ms).
   */
  readonly assumedSd?: number;
}

/** Always-valid non-inferiority (mSPRT): safe to check continuously. */
export interface SequentialJudgeConfig extends Common {
  readonly judge: 'sequential';
  readonly statistic: 'mean' | 'rate';
  readonly better: Better;
  readonly alpha?: number;
  /** The canary may be at most this much worse (absolute, in the metric's units). */
  readonly margin?: number;
  /** ... or this fraction of stable's value worse (e.g. 0.1 = 10%). */
  readonly relativeMargin?: number;
  /** Mixing standard deviation; see msprt.ts for the default. */
  readonly tau?: number;
  /** Effect worth detecting; sets tau when tau is not given. */
  readonly mde?: number;
}

/** Prediction drift between the variants' score histograms. */
export interface DriftJudgeConfig extends Common {
  readonly judge: 'drift';
  readonly maxPsi?: number;
  readonly alpha?: number;
}

export type JudgeConfig = ThresholdJudgeConfig | RelativeJudgeConfig | StatisticalJudgeConfig | SequentialJudgeConfig | DriftJudgeConfig;

export const DEFAULT_MIN_SAMPLES = 30;
export const DEFAULT_ALPHA = 0.05;
