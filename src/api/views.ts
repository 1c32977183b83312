import type { FaultConfig, Model, ModelSettings, ModelVersion, Prediction, RoutingEvent } from '../domain/index.js';
import type { PredictResult } from '../serving/index.js';

export interface VersionState {
  /** Why the version cannot serve, if loading it failed. */
  loadError(model: string, version: number): string | undefined;
}

export function versionView(v: ModelVersion, role: 'stable' | 'canary' | null, state: VersionState) {
  const error = state.loadError(v.model, v.version);
  return {
    version: v.version,
    role,
    status: error ? 'failed' : 'ready',
    ...(error ? { load_error: error } : {}),
    created_at: v.createdAt,
    source: v.source,
    description: v.description,
    metrics: v.metrics,
    signature: {
      task: v.signature.task,
      input: { name: v.signature.inputName, type: v.signature.inputType, features: v.signature.featureCount },
      outputs: v.signature.outputs,
      classes: v.signature.classCount,
      class_labels: v.signature.classLabels,
      opsets: v.signature.opsets,
      producer: v.signature.producer,
      rewrites: v.signature.rewrites,
    },
    sha256: v.sha256,
    size_bytes: v.sizeBytes,
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
  const role = (v: number) => (v === r.stableVersion ? 'stable' : v === r.canaryVersion ? 'canary' : null);
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
    revision: r.revision,
    updated_at: r.updatedAt,
    faults: settings ? faultsView(settings) : {},
    metrics_since: settings?.metricsSince ?? null,
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
    revision: e.routing.revision,
  };
}

function item(p: Prediction) {
  return {
    prediction: p.prediction,
    ...(p.probability !== undefined ? { probability: p.probability } : {}),
    ...(p.probabilities !== undefined ? { probabilities: p.probabilities } : {}),
  };
}

/** The native predict reply; a batch moves prediction fields into `predictions`, one per row. */
export function predictView(r: PredictResult, batch: boolean) {
  return {
    request_id: r.requestId,
    model: r.model,
    version: r.version,
    variant: r.variant,
    ...(r.forced ? { forced: true } : {}),
    ...(r.fallback ? { fallback: true } : {}),
    ...(batch ? { predictions: r.predictions.map(item) } : item(r.predictions[0]!)),
    latency_ms: r.latencyMs,
  };
}
