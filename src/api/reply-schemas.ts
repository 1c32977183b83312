import { Type, type TSchema } from 'typebox';

/**
 * Reply schemas: what a route promises to answer, field by field. Fastify serializes replies with
 * them, and src/api/reply-contract.e2e.test.ts checks real replies against them strictly (no
 * field missing, none extra), so the views in views.ts and this contract cannot drift apart.
 */
const strict = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Str = Type.String();
const Num = Type.Number();
const Int = Type.Integer();
const Bool = Type.Boolean();
const Role = Nullable(Type.Union([Type.Literal('stable'), Type.Literal('canary'), Type.Literal('shadow')]));
const Phase = Type.Union(['pending', 'progressing', 'paused', 'promoting', 'succeeded', 'rolled_back', 'failed'].map((p) => Type.Literal(p)));
const Status = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('inconclusive')]);
const N = strict({ stable: Num, canary: Num });

export const FaultView = strict({ wrong: Num, delay_ms: Type.Union([Num, Type.Array(Num, { minItems: 2, maxItems: 2 })]), errors: Num });
const Faults = Type.Record(Str, FaultView);

const versionProperties = {
  version: Int,
  role: Role,
  status: Type.Union([Type.Literal('ready'), Type.Literal('failed'), Type.Literal('not_ready')]),
  load_error: Type.Optional(Str),
  not_ready: Type.Optional(Str),
  created_at: Str,
  source: Str,
  description: Str,
  metrics: Type.Record(Str, Num),
  signature: strict({
    task: Str,
    inputs: Type.Array(strict({ name: Str, type: Str, shape: Type.Array(Int) })),
    outputs: Type.Record(Str, Str),
    classes: Nullable(Int),
    class_labels: Nullable(Type.Array(Type.Union([Str, Num]))),
    opsets: Type.Record(Str, Num),
    producer: Str,
    rewrites: Type.Array(Str),
  }),
  sha256: Nullable(Str),
  size_bytes: Nullable(Int),
  upstream: Nullable(strict({ url: Str, protocol: Str })),
  /** Where a proxy coalmine drives sends this version's share: the given --endpoint, or the upstream URL's host:port. */
  endpoint: Nullable(Str),
};
export const VersionView = strict(versionProperties);

const MetricsSpecView = strict({ provider: Str, url: Nullable(Str), preset: Nullable(Str), queries: Nullable(Type.Record(Str, Str)), error_limit: Nullable(Int) });
const ExternalRoutingView = strict({ router: Str, where: Str, settings: Type.Record(Str, Type.Unknown()), metrics: Nullable(MetricsSpecView) });
export const RegisteredVersion = strict({ model: Str, ...versionProperties });

export const ModelView = strict({
  name: Str,
  created_at: Str,
  stable_version: Int,
  canary_version: Nullable(Int),
  canary_weight: Num,
  stable_weight: Num,
  previous_stable_version: Nullable(Int),
  last_canary_version: Nullable(Int),
  /** The version scored on a copy of traffic after each reply (shadow mode), or null. */
  shadow: Nullable(strict({ version: Int, sample: Num, session: Str, started_at: Str })),
  revision: Int,
  /** The revision this process's predictions use now: equal to `revision` once a change has reached it. */
  serving_revision: Nullable(Int),
  updated_at: Str,
  faults: Faults,
  metrics_since: Nullable(Str),
  /** A proxy that splits this model's traffic instead of coalmine (docs/controller.md); null: coalmine routes it. */
  external_routing: Nullable(ExternalRoutingView),
  versions: Type.Array(VersionView),
});

export const ExternalRoutingReply = strict({ model: Str, external_routing: Nullable(ExternalRoutingView) });

export const ModelList = strict({
  models: Type.Array(strict({ name: Str, versions: Int, stable_version: Int, canary_version: Nullable(Int), canary_weight: Num, updated_at: Str })),
});

export const EventList = strict({
  events: Type.Array(strict({ at: Str, action: Str, reason: Str, stable_version: Int, canary_version: Nullable(Int), canary_weight: Num, shadow_version: Nullable(Int), revision: Int })),
});

export const ModelFaults = strict({ model: Str, faults: Faults });

/** Evidence fields differ by method (docs/api.md lists them); its shape is checked by the analysis tests. */
export const VerdictView = strict({ metric: Str, status: Status, reason: Str, evidence: Type.Record(Str, Type.Unknown()), critical: Type.Optional(Bool), required: Type.Optional(Bool) });

export const DecisionView = strict({
  seq: Int,
  at: Str,
  step: Int,
  weight: Num,
  phase: Phase,
  action: Str,
  reason: Str,
  actor: Type.Union([Type.Literal('controller'), Type.Literal('user')]),
  analysis: Type.Optional(strict({ step: Int, weight: Nullable(Num), status: Status, reason: Str, srm_mismatch: Bool, critical_failure: Bool, n: N, verdicts: Type.Array(VerdictView) })),
});

export const RolloutView = strict({
  id: Str,
  model: Str,
  phase: Phase,
  step: Int,
  steps_total: Int,
  steps_passed: Int,
  weight: Num,
  canary_version: Int,
  stable_version: Int,
  started_at: Str,
  updated_at: Str,
  step_started_at: Str,
  next_analysis_at: Nullable(Str),
  reason: Nullable(Str),
  attempt: Int,
  consecutive_failures: Int,
  consecutive_errors: Int,
  last_decision: Nullable(DecisionView),
  traffic: strict({
    router: Str,
    where: Str,
    scale: Str,
    weight: Num,
    /** The share the proxy's weights really give (HAProxy rounds to 1/256). */
    effective_weight: Num,
    proxy_weights: Type.Optional(strict({ stable: Num, canary: Num })),
    settings: Nullable(Type.Record(Str, Type.Unknown())),
  }),
  metrics: MetricsSpecView,
  spec: strict({
    steps: Type.Array(strict({ weight: Num, bake_s: Num, min_samples: Int, pause: Bool })),
    interval_s: Num,
    analysis: Type.Union([Type.Literal('default'), Type.Array(Type.Record(Str, Type.Unknown()))]),
    failure_limit: Int,
    inconclusive: Type.Union([Type.Literal('wait'), Type.Literal('pause')]),
    max_duration_s: Num,
    srm_alpha: Num,
    webhooks: Type.Array(Str),
  }),
});

export const RolloutList = strict({ rollouts: Type.Array(RolloutView) });
export const RolloutHistory = strict({ rollout: Str, phase: Phase, decisions: Type.Array(DecisionView) });

export const Info = strict({
  name: Str,
  version: Str,
  server_time: Num,
  default_model: Str,
  thresholds: strict({ accuracy_pct: Num, latency_p95_ms: Num }),
  bucket_ms: Int,
  stream_tick_ms: Int,
});

/** Liveness, and whether this process reaches its state: a replica that lost the database stays alive, serving its last routing. */
export const Health = strict({
  status: Type.Literal('ok'),
  state: strict({
    store: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
    connected: Type.Boolean(),
    since: Str,
    error: Type.Union([Str, Type.Null()]),
  }),
  /** Whether this process drives the rollouts now (with replicas, the one holding the controller lease). */
  controller: Type.Boolean(),
  /** The answering process, to tell replicas and `serve --workers` workers apart. */
  pid: Int,
});
export const Readiness = strict({ status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]), problems: Type.Array(Str) });

const variantMetricsProperties = {
  versions: Type.Array(Int),
  weight: Num,
  requests: Int,
  share: Nullable(Num),
  forced_requests: Int,
  errors: Int,
  error_rate: Nullable(Num),
  latency_ms: strict({ mean: Nullable(Num), p50: Nullable(Num), p95: Nullable(Num), p99: Nullable(Num) }),
  predictions: Int,
  positive_rate: Nullable(Num),
  labelled: Int,
  correct: Int,
  accuracy: Nullable(Num),
  mae: Nullable(Num),
  rmse: Nullable(Num),
};
export const VariantMetrics = strict(variantMetricsProperties);
const Variants = strict({ stable: VariantMetrics, canary: VariantMetrics });

export const MetricsReply = strict({
  model: Str,
  window: strict({ from: Str, to: Str, min_revision: Type.Optional(Int) }),
  stable_version: Int,
  canary_version: Nullable(Int),
  canary_weight: Num,
  revision: Int,
  faults: Faults,
  variants: Variants,
  by_version: Type.Array(strict({ variant: Type.Union([Type.Literal('stable'), Type.Literal('canary')]), version: Int, role_now: Role, ...variantMetricsProperties })),
});

export const AnalysisReply = strict({
  model: Str,
  window: strict({ from: Str, to: Str }),
  stable_version: Int,
  canary_version: Nullable(Int),
  canary_weight: Num,
  status: Status,
  reason: Str,
  critical_failure: Bool,
  srm: Nullable(strict({ statistic: Num, p_value: Num, mismatch: Bool, observed: Type.Array(Num), expected: Type.Array(Num) })),
  verdicts: Type.Array(VerdictView),
  variants: Variants,
});

export const SeriesReply = strict({
  model: Str,
  from: Num,
  to: Num,
  step_ms: Int,
  points: Type.Array(
    strict({
      t: Num,
      variant: Type.Union([Type.Literal('stable'), Type.Literal('canary')]),
      requests: Int,
      rps: Nullable(Num),
      errors: Int,
      error_rate: Nullable(Num),
      latency_ms: strict({ p50: Nullable(Num), p95: Nullable(Num), p99: Nullable(Num) }),
      labelled: Int,
      accuracy: Nullable(Num),
    }),
  ),
});

export const RolloutReportReply = strict({
  rollout: Str,
  model: Str,
  canary_version: Int,
  stable_version: Int,
  phase: Phase,
  outcome: Str,
  started_at: Str,
  ended_at: Nullable(Str),
  duration_s: Num,
  attempt: Int,
  steps_passed: Int,
  steps: Type.Array(
    strict({
      step: Int,
      weight: Num,
      result: Str,
      analyses: Int,
      last_status: Nullable(Status),
      n: Nullable(N),
      verdicts: Type.Array(strict({ metric: Str, status: Status, reason: Str, queries: Type.Optional(Type.Record(Str, strict({ stable: Str, canary: Str }))) })),
    }),
  ),
  timeline: Type.Array(strict({ at: Str, step: Int, weight: Num, action: Str, actor: Str, reason: Str })),
});

const FeedbackResult = strict({
  request_id: Str,
  row: Int,
  status: Type.Union(['accepted', 'unknown', 'expired', 'duplicate', 'invalid'].map((s) => Type.Literal(s))),
  message: Str,
  variant: Type.Optional(Str),
  version: Type.Optional(Int),
  correct: Type.Optional(Bool),
  /** The shadow that scored the same row, and whether it was right. */
  shadow_version: Type.Optional(Int),
  shadow_correct: Type.Optional(Bool),
});
export const FeedbackReply = Type.Union([FeedbackResult, strict({ accepted: Int, rejected: Int, results: Type.Array(FeedbackResult) })]);

// The labs' (seeds 000/001) and the take-home's (seed 002) routes keep the fields those projects
// document, with coalmine's own beside them (verdicts, versions).
export const LabWeightReply = strict({ canary_percentage: Num, message: Str });
export const LabFailureReply = strict({ simulate_failure: Bool, message: Str });
export const LabResetReply = strict({ message: Str, canary_percentage: Num, canary_version: Nullable(Int), stable_version: Int });
export const LabRollbackCheck = strict({
  rollback_triggered: Bool,
  reason: Nullable(Str),
  message: Str,
  alert: Nullable(Str),
  canary_accuracy: Nullable(Num),
  canary_p95_latency_ms: Nullable(Num),
  canary_requests: Int,
  canary_labelled: Int,
  accuracy_threshold: Num,
  latency_threshold_ms: Num,
  canary_percentage: Num,
  verdicts: Type.Array(VerdictView),
});
export const TakehomeDeployReply = strict({ status: Str, message: Str, model_path: Str, model: Str, version: Int, canary_percentage: Num, canary_start_time: Str });
export const TakehomeRollbackReply = strict({ status: Str, message: Str, stable_version: Int, aborted_rollout: Nullable(Str) });
export const TakehomePromoteReply = strict({ status: Str, message: Str, previous_stable_model: Str, new_stable_model: Str, previous_stable_version: Int, new_stable_version: Int });
export const TakehomeSlowdownReply = strict({ simulate_slowdown: Bool, message: Str });
export const TakehomeHealthReply = strict({
  alert_triggered: Bool,
  p_value: Nullable(Num),
  message: Str,
  stable_avg_latency_ms: Nullable(Num),
  canary_avg_latency_ms: Nullable(Num),
  stable_sample_count: Int,
  canary_sample_count: Int,
  verdict: VerdictView,
  samples_needed: Nullable(N),
});

/** The lab's JSON view of GET /metrics (Accept: application/json), on the default model. */
const LabVariant = strict({
  requests: Int,
  correct: Int,
  labelled: Int,
  accuracy: Nullable(Num),
  avg_latency_ms: Nullable(Num),
  p95_latency_ms: Nullable(Num),
  errors: Int,
  share: Nullable(Num),
  versions: Type.Array(Int),
});
export const LabMetrics = strict({
  model: Str,
  production: LabVariant,
  canary: LabVariant,
  canary_percentage: Num,
  simulate_failure: Bool,
  faults: Faults,
  accuracy_threshold: Num,
  latency_threshold_ms: Num,
});

/** GET /metrics: Prometheus text by default, the lab's JSON view when JSON is asked for. */
export const MetricsResponse = {
  200: {
    description: 'Prometheus text exposition (default), or the lab JSON view with Accept: application/json',
    content: { 'text/plain': { schema: Type.String() }, 'application/json': { schema: LabMetrics } },
  },
};

/** GET /v1/stream: server-sent events (docs/api.md lists the event types). */
export const StreamResponse = {
  200: { description: 'text/event-stream of info, models, metrics, analysis and rollout events', content: { 'text/event-stream': { schema: Type.String() } } },
};

/* Shadow mode (docs/shadow.md). */
const ShadowPolicyView = strict({ min_agreement: Num, max_error_rate: Num, max_latency_increase: Num, alpha: Num, min_compared: Int, min_labelled: Int });
const ShadowSessionProps = { session: Str, version: Int, sample: Num, started_at: Str, policy: ShadowPolicyView, webhooks: Type.Array(Str) };
const ShadowCheckView = strict({ check: Str, status: Status, reason: Str, evidence: Type.Record(Str, Type.Unknown()) });
const ShadowVerdictView = strict({ status: Status, reason: Str, checks: Type.Array(ShadowCheckView) });
const ReportedVerdict = Nullable(strict({ status: Status, reason: Str, at: Str }));
const NullNum = Nullable(Num);
const LatencyView = strict({ n: Int, mean_ms: NullNum, p50_ms: NullNum, p99_ms: NullNum });
const ShadowMetricsView = strict({
  offered: Int,
  dropped: Int,
  shed: Int,
  calls: Int,
  answered: Int,
  errors: Int,
  error_rate: NullNum,
  rows: Int,
  agreement: Nullable(strict({ rate: NullNum, lower: NullNum, upper: NullNum, level: Num, n: Int })),
  abs_delta: strict({ n: Int, mean: NullNum, p95: NullNum }),
  psi: NullNum,
  score_shift: strict({ n: Int, mean: NullNum, p_value: NullNum }),
  latency: strict({ primary: LatencyView, shadow: LatencyView, mean_diff_ms: NullNum }),
  accuracy: Nullable(
    Type.Union([
      strict({ labelled: Int, primary: NullNum, shadow: NullNum, both_right: Int, primary_only: Int, shadow_only: Int, both_wrong: Int }),
      strict({ labelled: Int, primary_mae: NullNum, shadow_mae: NullNum }),
    ]),
  ),
});

export const ShadowStatusReply = strict({
  model: Str,
  running: Bool,
  session: Nullable(strict({ ...ShadowSessionProps, primary_version: Int, stopped_at: Nullable(Str) })),
  in_flight: Int,
  metrics: Nullable(ShadowMetricsView),
  verdict: Nullable(ShadowVerdictView),
  reported: ReportedVerdict,
});

export const ShadowSessionsReply = strict({ model: Str, sessions: Type.Array(strict({ ...ShadowSessionProps, model: Str, stopped_at: Nullable(Str), verdict: ReportedVerdict })) });

const Prediction = Type.Union([Str, Num]);
export const ShadowComparisonsReply = strict({
  model: Str,
  session: Nullable(Str),
  comparisons: Type.Array(
    strict({
      request_id: Str,
      row: Int,
      at: Str,
      primary: strict({ version: Int, prediction: Prediction, probability: NullNum, latency_ms: NullNum }),
      shadow: strict({ version: Int, prediction: Nullable(Prediction), probability: NullNum, latency_ms: NullNum, error: Nullable(Str) }),
      abs_delta: NullNum,
      agree: Nullable(Bool),
      label: Nullable(Prediction),
    }),
  ),
});
