/** The outcome of judging one metric, or a whole analysis. */
export type VerdictStatus = 'pass' | 'fail' | 'inconclusive';

export interface Interval {
  readonly lower: number;
  readonly upper: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
}

/** Everything a person needs to see why a verdict was reached. */
export interface Evidence {
  /** e.g. 'threshold', 'relative', 'welch_t', 'mann_whitney_u', 'two_proportion_z', 'msprt_normal', 'psi_ks'. */
  readonly method: string;
  /** What was compared, e.g. 'mean', 'p95', 'rate'. */
  readonly statistic: string;
  readonly n: { readonly stable: number; readonly canary: number };
  readonly estimate: { readonly stable: number | null; readonly canary: number | null };
  /** canary − stable, and that difference relative to stable. */
  readonly effect: { readonly absolute: number | null; readonly relative: number | null };
  readonly interval?: Interval;
  readonly pValue?: number;
  readonly likelihoodRatio?: number;
  readonly testStatistic?: number;
  readonly df?: number;
  /** The limit the verdict was measured against (threshold, margin, or alpha). */
  readonly threshold?: number;
  readonly alpha?: number;
  /** More samples per variant needed before a verdict is possible. */
  readonly needed?: { readonly stable: number; readonly canary: number };
  /** The PromQL each number came from, per query and variant, when Prometheus measured the step. */
  readonly queries?: Readonly<Record<string, { readonly stable: string; readonly canary: string }>>;
}

export interface Verdict {
  readonly metric: string;
  readonly status: VerdictStatus;
  /** One sentence a person can read, with the numbers that decided it. */
  readonly reason: string;
  readonly evidence: Evidence;
}
