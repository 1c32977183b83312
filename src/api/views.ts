import { endpointOf, isTerminal, type ExternalRouting, type FaultConfig, type MetricsSpec, type Model, type ModelSettings, type ModelVersion, type Prediction, type Rollout, type RoutingEvent } from '../domain/index.js';
import { decisionView, stepsPassed } from '../rollout/index.js';
import { describeTraffic, planFor } from '../traffic/index.js';
import { queryTemplates } from '../metrics/index.js';
import type { PredictResult } from '../serving/index.js';

export interface VersionState {
  /** Why the version cannot serve, if loading it failed. */
  loadError(model: string, version: number): string | undefined;
  /** Why a version's model server is not ready now, if it is not. */
  notReady(model: string, version: number): string | undefined;
  /** The routing revision this process serves the model with now (with replicas, it trails a change by the time the change takes to arrive). */
  servingRevision(model: string): number | null;
}

const SHAPE_UNKNOWN = -1;

export function versionView(v: ModelVersion, role: 'stable' | 'canary' | 'shadow' | null, state: VersionState) {
  const error = state.loadError(v.model, v.version);
  const notReady = error === undefined ? state.notReady(v.model, v.version) : undefined;
  const src = v.source;
  return {
    version: v.version,
    role,
    status: error ? 'failed' : notReady ? 'not_ready' : 'ready',
    ...(error ? { load_error: error } : {}),
    ...(notReady ? { not_ready: notReady } : {}),
    created_at: v.createdAt,
    source: v.origin,
    description: v.description,
    metrics: v.metrics,
    signature: {
      task: v.signature.task,
      // Shapes as the Open Inference Protocol writes them: -1 for the batch and for a width the model leaves open.
      inputs: v.signature.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.rank === 1 ? [SHAPE_UNKNOWN] : [SHAPE_UNKNOWN, i.width ?? SHAPE_UNKNOWN] })),
      outputs: v.signature.outputs,
      classes: v.signature.classCount,
      class_labels: v.signature.classLabels,
      opsets: v.signature.opsets,
      producer: v.signature.producer,
      rewrites: v.signature.rewrites,
    },
    sha256: src.kind === 'onnx' ? src.sha256 : null,
    size_bytes: src.kind === 'onnx' ? src.sizeBytes : null,
    upstream: src.kind === 'onnx' ? null : { url: src.url, protocol: src.kind },
    endpoint: endpointOf(v),
  };
}

export function faultView(f: FaultConfig) {
  return { wrong: f.wrongRate, delay_ms: f.delayMs[0] === f.delayMs[1] ? f.delayMs[0] : [...f.delayMs], errors: f.errorRate };
}

export function faultsView(settings: ModelSettings) {
  return Object.fromEntries(Object.entries(settings.faults).map(([variant, f]) => [variant, faultView(f)]));
}

export function modelView(m: Model, state: VersionState, settings?: ModelSettings) {
  const r = m.routing;
  const role = (v: number) => (v === r.stableVersion ? 'stable' : v === r.canaryVersion ? 'canary' : v === r.shadow?.version ? 'shadow' : null);
  const canaryWeight = r.canaryVersion === null ? 0 : r.canaryWeightBp / 100;
  return {
    name: m.name,
    created_at: m.createdAt,
    stable_version: r.stableVersion,
    canary_version: r.canaryVersion,
    canary_weight: canaryWeight,
    stable_weight: 100 - canaryWeight,
    previous_stable_version: r.previousStableVersion,
    last_canary_version: r.lastCanaryVersion,
    shadow: r.shadow ? { version: r.shadow.version, sample: r.shadow.sampleBp / 100, session: r.shadow.id, started_at: r.shadow.startedAt } : null,
    revision: r.revision,
    serving_revision: state.servingRevision(m.name),
    updated_at: r.updatedAt,
    faults: settings ? faultsView(settings) : {},
    metrics_since: settings?.metricsSince ?? null,
    external_routing: externalRoutingView(settings?.external ?? null),
    versions: m.versions.map((v) => versionView(v, role(v.version), state)),
  };
}

export function modelSummary(m: Model) {
  const r = m.routing;
  return {
    name: m.name,
    versions: m.versions.length,
    stable_version: r.stableVersion,
    canary_version: r.canaryVersion,
    canary_weight: r.canaryVersion === null ? 0 : r.canaryWeightBp / 100,
    updated_at: r.updatedAt,
  };
}

export function eventView(e: RoutingEvent) {
  return {
    at: e.at,
    action: e.action,
    reason: e.reason,
    stable_version: e.routing.stableVersion,
    canary_version: e.routing.canaryVersion,
    canary_weight: e.routing.canaryVersion === null ? 0 : e.routing.canaryWeightBp / 100,
    // Events logged before shadow mode existed carry no shadow field.
    shadow_version: e.routing.shadow?.version ?? null,
    revision: e.routing.revision,
  };
}

// Absent fields are undefined rather than spread in: the reply schema's serializer leaves them
// out all the same, and a literal costs a fifth of the spreads (this runs for every prediction).
function item(p: Prediction) {
  return { prediction: p.prediction, probability: p.probability, probabilities: p.probabilities };
}

/**
 * The predict reply; a batch moves prediction fields into `predictions`, one per row. The seeds'
 * route (`seedFields`) adds the take-home's names for a single row. Both routes build the same
 * literal, so the reply serializer always sees one object shape (a spread copy of it made the
 * seeds' route's serialization several µs slower).
 */
export function predictView(r: PredictResult, batch: boolean, seedFields = false) {
  const first = batch ? undefined : r.predictions[0]!;
  return {
    request_id: r.requestId,
    model: r.model,
    version: r.version,
    variant: r.variant,
    forced: r.forced ? true : undefined,
    fallback: r.fallback ? true : undefined,
    prediction: first?.prediction,
    probability: first?.probability,
    probabilities: first?.probabilities,
    predictions: batch ? r.predictions.map(item) : undefined,
    latency_ms: r.latencyMs,
    churn_probability: seedFields ? first?.probability : undefined,
    model_used: seedFields ? r.variant : undefined,
  };
}

export function rolloutView(r: Rollout) {
  const step = r.spec.steps[Math.min(r.stepIndex, r.spec.steps.length - 1)]!;
  return {
    id: r.id,
    model: r.model,
    phase: r.phase,
    step: r.stepIndex + 1,
    steps_total: r.spec.steps.length,
    /** Steps whose own analysis passed; a 100% step is the promotion and is never analysed. */
    steps_passed: stepsPassed(r),
    weight: r.phase === 'succeeded' ? 100 : r.phase === 'rolled_back' || r.phase === 'failed' ? 0 : step.weightBp / 100,
    canary_version: r.spec.canaryVersion,
    stable_version: r.stableVersion,
    started_at: r.startedAt,
    updated_at: r.updatedAt,
    step_started_at: r.stepStartedAt,
    next_analysis_at: r.nextAnalysisAt,
    reason: r.reason,
    attempt: r.attempt,
    consecutive_failures: r.consecutiveFailures,
    consecutive_errors: r.consecutiveErrors ?? 0,
    last_decision: r.history.at(-1) ? decisionView(r.history.at(-1)!) : null,
    // Once finished, the proxy holds no canary share: promoted into the stable slot, or rolled back.
    traffic: trafficView(r, isTerminal(r.phase) ? 0 : step.weightBp),
    metrics: metricsSpecView(r.spec.metrics ?? null),
    spec: {
      steps: r.spec.steps.map((s) => ({ weight: s.weightBp / 100, bake_s: s.bakeMs / 1000, min_samples: s.minSamples, pause: s.pause })),
      interval_s: r.spec.intervalMs / 1000,
      analysis: r.spec.analysis ?? 'default',
      failure_limit: r.spec.failureLimit,
      inconclusive: r.spec.inconclusive,
      max_duration_s: r.spec.maxDurationMs / 1000,
      srm_alpha: r.spec.srmAlpha,
      webhooks: r.spec.webhooks,
    },
  };
}


/** Who splits the traffic, and the share the proxy's scale really gives at this step. */
function trafficView(r: Rollout, stepBp: number) {
  const t = r.spec.traffic ?? null;
  if (t === null) return { router: 'builtin', where: "coalmine's own router", scale: 'basis points (0.01%)', weight: stepBp / 100, effective_weight: stepBp / 100, settings: null };
  const plan = planFor(t, stepBp);
  return { router: t.router, where: describeTraffic(t), scale: plan.scale, weight: stepBp / 100, effective_weight: Math.round(plan.effectiveBp) / 100, proxy_weights: { stable: plan.stableWeight, canary: plan.canaryWeight }, settings: { ...t } };
}

function metricsSpecView(m: MetricsSpec | null) {
  if (m === null) return { provider: 'builtin', url: null, preset: null, queries: null, error_limit: null };
  return { provider: m.provider, url: m.url, preset: m.preset, queries: { ...queryTemplates(m) }, error_limit: m.errorLimit };
}

/** A model set to external routing: the proxy, where it acts, and the measurements a rollout takes by default. */
export function externalRoutingView(e: ExternalRouting | null) {
  if (e === null) return null;
  return { router: e.traffic.router, where: describeTraffic(e.traffic), settings: { ...e.traffic }, metrics: e.metrics ? metricsSpecView(e.metrics) : null };
}
