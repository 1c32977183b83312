import { verdictView } from '../analysis/index.js';
import { decidedStep, type AnalysisSummary, type Decision } from '../domain/index.js';

function analysisSummaryView(a: AnalysisSummary, d: Decision) {
  return {
    step: decidedStep(d) + 1,
    weight: a.weightBp === undefined ? null : a.weightBp / 100,
    status: a.status,
    reason: a.reason,
    srm_mismatch: a.srmMismatch,
    critical_failure: a.criticalFailure,
    n: a.n,
    verdicts: a.verdicts.map(verdictView),
  };
}

/**
 * A decision: `step` and `weight` are where the rollout stands after it (1-based, percent);
 * `analysis.step` and `analysis.weight` are the step whose traffic was judged.
 */
export function decisionView(d: Decision) {
  return {
    seq: d.seq,
    at: d.at,
    step: d.step + 1,
    weight: d.weightBp / 100,
    phase: d.phase,
    action: d.action,
    reason: d.reason,
    actor: d.actor,
    analysis: d.analysis ? analysisSummaryView(d.analysis, d) : undefined,
  };
}
