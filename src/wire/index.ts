/**
 * The JSON shapes of coalmine's public HTTP API (docs/api.md), as clients read them: the CLI
 * and the dashboard share these. Types only: nothing here runs, so the browser bundle can use
 * them without pulling in server code.
 */

export type Variant = 'stable' | 'canary';
export type VerdictStatus = 'pass' | 'fail' | 'inconclusive';
export type Phase = 'pending' | 'progressing' | 'paused' | 'promoting' | 'succeeded' | 'rolled_back' | 'failed';

export interface Info {
  name: string;
  version: string;
  server_time: number;
  default_model: string;
  thresholds: { accuracy_pct: number; latency_p95_ms: number };
  bucket_ms: number;
  stream_tick_ms: number;
}

export interface FaultInfo {
  wrong: number;
  delay_ms: number | [number, number];
  errors: number;
}

export interface VersionInfo {
  version: number;
  role: 'stable' | 'canary' | 'shadow' | null;
  status: 'ready' | 'failed' | 'not_ready';
  load_error?: string;
  /** Why the version's model server is not ready now. */
  not_ready?: string;
  created_at: string;
  source: string;
  description: string;
  metrics: Record<string, number>;
  signature: {
    task: string;
    /** Shapes as the Open Inference Protocol writes them: -1 for the batch and for an open width. */
    inputs: { name: string; type: string; shape: number[] }[];
    outputs: Record<string, string>;
    classes: number | null;
    class_labels: (string | number)[] | null;
    opsets: Record<string, number>;
    producer: string;
    rewrites: string[];
  };
  /** The ONNX file's; null for a version a model server serves. */
  sha256: string | null;
  size_bytes: number | null;
  upstream: { url: string; protocol: string } | null;
  /** Where a proxy coalmine drives sends this version's share: --endpoint, or the upstream URL's host:port. */
  endpoint: string | null;
}

export interface ModelInfo {
  name: string;
  created_at: string;
  stable_version: number;
  canary_version: number | null;
  canary_weight: number;
  stable_weight: number;
  previous_stable_version: number | null;
  last_canary_version: number | null;
  /** The version scored on a copy of traffic after each reply (shadow mode), or null. */
  shadow: { version: number; sample: number; session: string; started_at: string } | null;
  revision: number;
  updated_at: string;
  faults: Partial<Record<Variant | 'shadow', FaultInfo>>;
  metrics_since: string | null;
  /** A proxy that splits this model's traffic instead of coalmine; null: coalmine routes it. */
  external_routing: ExternalRoutingInfo | null;
  versions: VersionInfo[];
}

export interface ExternalRoutingInfo {
  router: string;
  where: string;
  settings: Record<string, unknown>;
  metrics: { provider: string; url: string | null; preset: string | null; queries: Record<string, string> | null; error_limit: number | null } | null;
}

export interface ModelSummary {
  name: string;
  versions: number;
  stable_version: number;
  canary_version: number | null;
  canary_weight: number;
  updated_at: string;
}

export interface EventInfo {
  at: string;
  action: string;
  reason: string;
  stable_version: number;
  canary_version: number | null;
  canary_weight: number;
}

export interface PredictReply {
  request_id: string;
  model: string;
  version: number;
  variant: Variant;
  prediction?: number | string;
  probability?: number;
  latency_ms: number;
  fallback?: boolean;
}

export interface VariantMetricsInfo {
  versions: number[];
  weight: number;
  requests: number;
  share: number | null;
  forced_requests: number;
  errors: number;
  error_rate: number | null;
  latency_ms: { mean: number | null; p50: number | null; p95: number | null; p99: number | null };
  labelled: number;
  correct: number;
  accuracy: number | null;
  mae: number | null;
}

export interface MetricsInfo {
  model: string;
  window: { from: string; to: string };
  canary_weight: number;
  stable_version: number;
  canary_version: number | null;
  faults: Partial<Record<Variant, FaultInfo>>;
  variants: { stable: VariantMetricsInfo; canary: VariantMetricsInfo };
  /** A row per (variant, version) that served in the window; `role_now` is the version's role today. */
  by_version: (VariantMetricsInfo & { variant: Variant; version: number; role_now: Variant | null })[];
}

export interface Evidence {
  method: string;
  statistic: string;
  n: { stable: number; canary: number };
  estimate: { stable: number | null; canary: number | null };
  effect: { absolute: number | null; relative: number | null };
  interval?: { lower: number; upper: number; level: number };
  p_value?: number;
  likelihood_ratio?: number;
  test_statistic?: number;
  df?: number;
  threshold?: number;
  alpha?: number;
  needed?: { stable: number; canary: number };
  /** The PromQL behind the numbers, per query and variant, when Prometheus measured the step. */
  queries?: Record<string, { stable: string; canary: string }>;
}

export interface VerdictInfo {
  metric: string;
  status: VerdictStatus;
  reason: string;
  evidence: Evidence;
  /** Present in analyses (`GET …/analysis`, decisions). */
  critical?: boolean;
  required?: boolean;
}

export interface AnalysisInfo extends Omit<MetricsInfo, 'faults'> {
  status: VerdictStatus;
  reason: string;
  critical_failure: boolean;
  srm: { p_value: number; mismatch: boolean } | null;
  verdicts: VerdictInfo[];
}

export interface RollbackCheckInfo {
  rollback_triggered: boolean;
  reason: string | null;
  message: string;
  alert: string | null;
  canary_accuracy: number | null;
  canary_p95_latency_ms: number | null;
  canary_percentage: number;
}

/** One analysis kept with a decision: `step`/`weight` are the step whose traffic was judged (1-based, percent). */
export interface AnalysisSummaryInfo {
  step: number;
  weight: number | null;
  status: VerdictStatus;
  reason: string;
  srm_mismatch: boolean;
  critical_failure: boolean;
  verdicts: VerdictInfo[];
  n: { stable: number; canary: number };
}

/** A rollout decision; `step` (1-based) and `weight` (percent) are where the rollout stands after it. */
export interface DecisionInfo {
  seq: number;
  at: string;
  step: number;
  weight: number;
  phase: Phase;
  action: string;
  reason: string;
  actor: 'controller' | 'user';
  analysis?: AnalysisSummaryInfo;
}

export interface AnalysisMetricSpecInfo {
  name: string;
  metric: 'error_rate' | 'latency' | 'accuracy' | 'mae' | 'drift';
  critical: boolean;
  required: boolean;
  judge: Record<string, unknown>;
}

export interface RolloutInfo {
  id: string;
  model: string;
  phase: Phase;
  step: number;
  steps_total: number;
  steps_passed: number;
  weight: number;
  canary_version: number;
  stable_version: number;
  started_at: string;
  updated_at: string;
  step_started_at: string;
  next_analysis_at: string | null;
  reason: string | null;
  attempt: number;
  consecutive_failures: number;
  /** Measurements that failed in a row (a Prometheus query that errored). */
  consecutive_errors: number;
  last_decision: DecisionInfo | null;
  /** Who splits the traffic: coalmine itself, or a proxy it drives, with the share the proxy's scale gives. */
  traffic: {
    router: string;
    where: string;
    scale: string;
    weight: number;
    effective_weight: number;
    proxy_weights?: { stable: number; canary: number };
    settings: Record<string, unknown> | null;
  };
  metrics: { provider: string; url: string | null; preset: string | null; queries: Record<string, string> | null; error_limit: number | null };
  spec: {
    steps: { weight: number; bake_s: number; min_samples: number; pause: boolean }[];
    interval_s: number;
    analysis: AnalysisMetricSpecInfo[] | 'default';
    failure_limit: number;
    inconclusive: 'wait' | 'pause';
    max_duration_s: number;
  };
}

export interface SeriesPointInfo {
  /** Start of the step, Unix ms. */
  t: number;
  variant: Variant;
  requests: number;
  rps: number | null;
  errors: number;
  error_rate: number | null;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  labelled: number;
  accuracy: number | null;
}

export interface SeriesInfo {
  model: string;
  from: number;
  to: number;
  step_ms: number;
  points: SeriesPointInfo[];
}

/** One check of a shadow's verdict; `evidence` fields differ by method (docs/shadow.md lists them). */
export interface ShadowCheckInfo {
  check: 'agreement' | 'errors' | 'latency' | 'accuracy';
  status: VerdictStatus;
  reason: string;
  evidence: Record<string, unknown>;
}

export interface ShadowLatencyInfo {
  n: number;
  mean_ms: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
}

export interface ShadowStatusInfo {
  model: string;
  running: boolean;
  session: {
    session: string;
    version: number;
    sample: number;
    started_at: string;
    policy: { min_agreement: number; max_error_rate: number; max_latency_increase: number; alpha: number; min_compared: number; min_labelled: number };
    webhooks: string[];
    primary_version: number;
    stopped_at: string | null;
  } | null;
  in_flight: number;
  metrics: {
    offered: number;
    dropped: number;
    /** Sampled but not sent because the event loop was saturated: the shadow yields to the primary. */
    shed: number;
    calls: number;
    answered: number;
    errors: number;
    error_rate: number | null;
    rows: number;
    agreement: { rate: number | null; lower: number | null; upper: number | null; level: number; n: number } | null;
    abs_delta: { n: number; mean: number | null; p95: number | null };
    psi: number | null;
    score_shift: { n: number; mean: number | null; p_value: number | null };
    latency: { primary: ShadowLatencyInfo; shadow: ShadowLatencyInfo; mean_diff_ms: number | null };
    accuracy:
      | { labelled: number; primary: number | null; shadow: number | null; both_right: number; primary_only: number; shadow_only: number; both_wrong: number }
      | { labelled: number; primary_mae: number | null; shadow_mae: number | null }
      | null;
  } | null;
  verdict: { status: VerdictStatus; reason: string; checks: ShadowCheckInfo[] } | null;
  reported: { status: VerdictStatus; reason: string; at: string } | null;
}

export interface ShadowComparisonInfo {
  request_id: string;
  row: number;
  at: string;
  primary: { version: number; prediction: string | number; probability: number | null; latency_ms: number | null };
  shadow: { version: number; prediction: string | number | null; probability: number | null; latency_ms: number | null; error: string | null };
  abs_delta: number | null;
  agree: boolean | null;
  label: string | number | null;
}
