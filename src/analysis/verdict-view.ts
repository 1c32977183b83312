import type { Evidence, Verdict } from '../domain/index.js';

/** Evidence as the API spells it: snake_case, like every other field. */
export function evidenceView(e: Evidence): Record<string, unknown> {
  // Fields a method does not have are left out, not sent as null.
  const view: Record<string, unknown> = {
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
    queries: e.queries,
  };
  for (const key of Object.keys(view)) if (view[key] === undefined) delete view[key];
  return view;
}

export function verdictView(v: Verdict & { readonly critical?: boolean; readonly required?: boolean }) {
  return { metric: v.metric, status: v.status, reason: v.reason, evidence: evidenceView(v.evidence), critical: v.critical, required: v.required };
}
