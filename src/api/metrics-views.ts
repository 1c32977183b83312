import type { CanaryChecks } from '../checks/index.js';
import { appError, type Model, type Routing } from '../domain/index.js';
import type { SeriesPoint, VariantMetrics, VariantPair } from '../metrics/index.js';
import { verdictView } from '../analysis/index.js';

const r = (x: number | null, digits = 3): number | null => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/** `30s`, `5m`, `2h`, `1d` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw appError('invalid_request', `window "${text}" must look like 30s, 5m, 2h or 1d`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export function parseSince(text: string): number {
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw appError('invalid_request', `since "${text}" is not a date; use ISO 8601, e.g. 2026-11-21T10:00:00Z`);
  return t;
}

export function variantView(v: VariantMetrics, weightPct: number, totalRequests: number) {
  return {
    versions: v.versions,
    weight: weightPct,
    requests: v.requests,
    share: totalRequests > 0 ? r((v.requests / totalRequests) * 100, 2) : null,
    forced_requests: v.forcedRequests,
    errors: v.errors,
    error_rate: r(v.errorRate, 5),
    latency_ms: { mean: r(v.latencyMs.mean), p50: r(v.latencyMs.p50), p95: r(v.latencyMs.p95), p99: r(v.latencyMs.p99) },
    predictions: v.predictions,
    positive_rate: r(v.positiveRate, 4),
    labelled: v.labelled,
    correct: v.correct,
    accuracy: r(v.accuracy, 5),
    mae: r(v.mae, 5),
    rmse: r(v.rmse, 5),
  };
}

export function pairView(pair: VariantPair, canaryWeightPct: number) {
  const total = pair.stable.requests + pair.canary.requests;
  return {
    stable: variantView(pair.stable, 100 - canaryWeightPct, total),
    canary: variantView(pair.canary, canaryWeightPct, total),
  };
}

/**
 * One row per version that served in the window, with the role it has now (a version promoted
 * mid-window shows under the variant that served it, once per role), so a report never folds two
 * versions into one line.
 */
export function byVersionView(rows: readonly VariantMetrics[], routing: Routing, canaryWeightPct: number) {
  const total = rows.reduce((n, v) => n + v.requests, 0);
  return rows.map((v) => {
    const version = v.versions[0]!;
    const now = version === routing.stableVersion ? 'stable' : version === routing.canaryVersion ? 'canary' : null;
    const weight = now === 'stable' ? 100 - canaryWeightPct : now === 'canary' ? canaryWeightPct : 0;
    return { variant: v.variant, version, role_now: now, ...variantView(v, weight, total) };
  });
}

/** The lab's JSON view of GET /metrics: per-model accuracy and latency, production and canary. */
export function labView(v: VariantMetrics, total: number) {
  return {
    requests: v.requests,
    correct: v.correct,
    labelled: v.labelled,
    accuracy: v.accuracy === null ? null : r(v.accuracy * 100, 2),
    avg_latency_ms: r(v.latencyMs.mean),
    p95_latency_ms: r(v.latencyMs.p95),
    errors: v.errors,
    share: total > 0 ? r((v.requests / total) * 100, 2) : null,
    versions: v.versions,
  };
}

/** GET /v1/models/{name}/analysis, and the live stream's `analysis` event. */
export function analysisView(model: Model, a: Awaited<ReturnType<CanaryChecks['analyze']>>, now: number) {
  const weight = model.routing.canaryVersion === null ? 0 : model.routing.canaryWeightBp / 100;
  const { assessment } = a;
  return {
    model: model.name,
    window: { from: new Date(a.since).toISOString(), to: new Date(now).toISOString() },
    stable_version: model.routing.stableVersion,
    canary_version: model.routing.canaryVersion,
    canary_weight: weight,
    status: assessment.status,
    reason: assessment.reason,
    critical_failure: assessment.criticalFailure,
    // null when the test could not run (no traffic yet); `srm && {…}` let an undefined through, which the serializer wrote as {}.
    srm: assessment.srm ? { statistic: assessment.srm.statistic, p_value: assessment.srm.pValue, mismatch: assessment.srm.mismatch, observed: assessment.srm.observed, expected: assessment.srm.expected } : null,
    verdicts: assessment.verdicts.map(verdictView),
    variants: pairView(a.pair, weight),
  };
}

/** One point of GET /v1/models/{name}/metrics/series and of the live stream's `points` event. */
export function seriesPointView(p: SeriesPoint) {
  const m = p.metrics;
  return {
    t: p.start,
    variant: m.variant,
    requests: m.requests,
    rps: r((m.requests * 1000) / p.durationMs, 2),
    errors: m.errors,
    error_rate: r(m.errorRate, 5),
    latency_ms: { p50: r(m.latencyMs.p50), p95: r(m.latencyMs.p95), p99: r(m.latencyMs.p99) },
    labelled: m.labelled,
    accuracy: r(m.accuracy, 5),
  };
}
