import type { Evidence, Verdict } from '../domain/index.js';

/** Evidence as the API spells it: snake_case, like every other field. */
export function evidenceView(e: Evidence) {
  return {
    method: e.method,
    statistic: e.statistic,
    n: e.n,
    estimate: e.estimate,
    effect: e.effect,
    interval: e.interval,
    p_value: e.pValue,
    likelihood_ratio: e.likelihoodRatio,
    test_statistic: e.testStatistic,
    df: e.df,
    threshold: e.threshold,
    alpha: e.alpha,
    needed: e.needed,
  };
}

export function verdictView(v: Verdict & { readonly critical?: boolean; readonly required?: boolean }) {
  return { metric: v.metric, status: v.status, reason: v.reason, evidence: evidenceView(v.evidence), critical: v.critical, required: v.required };
}
