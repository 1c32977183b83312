import { pairedTTest, wilsonInterval, type ShadowCheck, type ShadowEvidence, type ShadowVerdict } from '../analysis/index.js';
import type { ShadowComparison, ShadowRouting, ShadowSessionRecord } from '../domain/index.js';
import type { MergedShadowStats } from '../telemetry/index.js';
import { scorePsi } from './shadow-measurement.js';

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const round = (x: number | null, digits = 6): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));

export function shadowRoutingView(s: ShadowRouting) {
  return {
    session: s.id,
    version: s.version,
    sample: s.sampleBp / 100,
    started_at: s.startedAt,
    policy: {
      min_agreement: s.policy.minAgreement,
      max_error_rate: s.policy.maxErrorRate,
      max_latency_increase: s.policy.maxLatencyIncrease,
      alpha: s.policy.alpha,
      min_compared: s.policy.minCompared,
      min_labelled: s.policy.minLabelled,
    },
    webhooks: [...s.webhooks],
  };
}

export function shadowEvidenceView(e: ShadowEvidence): Record<string, unknown> {
  const view: Record<string, unknown> = {
    method: e.method,
    n: e.n,
    estimate: e.estimate,
    primary: e.primary,
    shadow: e.shadow,
    interval: e.interval,
    p_value: e.pValue,
    log_likelihood_ratio: e.logLikelihoodRatio,
    threshold: e.threshold,
    alpha: e.alpha,
    discordant: e.discordant,
    exact_p_value: e.exactPValue,
    mid_p_value: e.midPValue,
    needed: e.needed,
  };
  for (const k of Object.keys(view)) if (view[k] === undefined) delete view[k];
  return view;
}

export const shadowCheckView = (c: ShadowCheck) => ({ check: c.check, status: c.status, reason: c.reason, evidence: shadowEvidenceView(c.evidence) });

export const shadowVerdictView = (v: ShadowVerdict) => ({ status: v.status, reason: v.reason, checks: v.checks.map(shadowCheckView) });

const latencyView = (sketch: MergedShadowStats['shadowLatencySketch'], mean: number, n: number) => ({
  n,
  mean_ms: n > 0 ? round(mean, 3) : null,
  p50_ms: round(finite(sketch.quantile(0.5)), 3),
  p99_ms: round(finite(sketch.quantile(0.99)), 3),
});

/** The metrics of a session, as `shadow status` and the dashboard show them. */
export function shadowMetricsView(s: MergedShadowStats, alpha: number) {
  const calls = s.answered + s.errors;
  const agreement = s.classified > 0 ? { rate: round(s.agreed / s.classified), ...wilsonRounded(s.agreed, s.classified, alpha), n: s.classified } : null;
  const o = s.outcomes;
  const labelled = o.both + o.stableOnly + o.shadowOnly + o.neither;
  const shift = pairedTTest(s.scoreDiff);
  return {
    offered: s.offered,
    dropped: s.dropped,
    shed: s.shed,
    calls,
    answered: s.answered,
    errors: s.errors,
    error_rate: calls > 0 ? round(s.errors / calls) : null,
    rows: s.rows,
    agreement,
    abs_delta: { n: s.absDelta.n, mean: s.absDelta.n > 0 ? round(s.absDelta.mean) : null, p95: round(finite(s.absDeltaSketch.quantile(0.95))) },
    psi: round(finite(scorePsi(s))),
    score_shift: { n: s.scoreDiff.n, mean: s.scoreDiff.n > 0 ? round(s.scoreDiff.mean) : null, p_value: round(finite(shift.pValue), 8) },
    latency: {
      primary: latencyView(s.primaryLatencySketch, s.primaryLatency.mean, s.primaryLatency.n),
      shadow: latencyView(s.shadowLatencySketch, s.shadowLatency.mean, s.shadowLatency.n),
      mean_diff_ms: s.latencyDiff.n > 0 ? round(s.latencyDiff.mean, 3) : null,
    },
    accuracy:
      labelled > 0
        ? { labelled, primary: round((o.both + o.stableOnly) / labelled), shadow: round((o.both + o.shadowOnly) / labelled), both_right: o.both, primary_only: o.stableOnly, shadow_only: o.shadowOnly, both_wrong: o.neither }
        : s.absErrorDiff.n > 0
          ? { labelled: s.absErrorDiff.n, primary_mae: round(s.primaryAbsError.mean), shadow_mae: round(s.shadowAbsError.mean) }
          : null,
  };
}

function wilsonRounded(count: number, n: number, alpha: number) {
  const ci = wilsonInterval(count, n, alpha);
  return { lower: round(ci.lower), upper: round(ci.upper), level: 1 - alpha };
}

export const shadowSessionView = (r: ShadowSessionRecord) => ({ ...shadowRoutingView(r.shadow), model: r.model, stopped_at: r.stoppedAt, verdict: r.verdict });

export function comparisonView(c: ShadowComparison) {
  return {
    request_id: c.requestId,
    row: c.row,
    at: new Date(c.createdAt).toISOString(),
    primary: { version: c.primaryVersion, prediction: c.primaryPrediction, probability: c.primaryProbability, latency_ms: round(c.primaryLatencyMs, 3) },
    shadow: { version: c.shadowVersion, prediction: c.shadowPrediction, probability: c.shadowProbability, latency_ms: round(c.shadowLatencyMs, 3), error: c.shadowError },
    abs_delta: c.absDelta,
    agree: c.agree,
    label: c.label,
  };
}
