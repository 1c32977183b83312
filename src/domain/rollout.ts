import type { VerdictStatus, Verdict } from './verdict.js';

export const PHASES = ['pending', 'progressing', 'paused', 'promoting', 'succeeded', 'rolled_back', 'failed'] as const;
export type Phase = (typeof PHASES)[number];

export const TERMINAL_PHASES: readonly Phase[] = ['succeeded', 'rolled_back', 'failed'];
export const isTerminal = (p: Phase): boolean => TERMINAL_PHASES.includes(p);

/** One step of a rollout: a canary weight held until its bake time and sample minimum are met, or a manual gate. */
export interface StepSpec {
  /** Canary weight in basis points. */
  readonly weightBp: number;
  /** Time to hold this weight before it may advance. */
  readonly bakeMs: number;
  /** Canary requests needed in this step before it may advance. */
  readonly minSamples: number;
  /** A manual gate: the rollout pauses here until someone promotes or resumes it. */
  readonly pause: boolean;
}

/** A metric of the analysis, as configured in a spec (judge config is validated by the analysis module). */
export interface AnalysisMetricSpec {
  readonly name: string;
  readonly metric: 'error_rate' | 'latency' | 'accuracy' | 'mae' | 'drift';
  readonly critical: boolean;
  readonly required: boolean;
  readonly judge: Readonly<Record<string, unknown>>;
}

/** The proxy that splits a rollout's traffic when coalmine does not carry it (`traffic:` in a spec). */
export type TrafficSpec = HaproxyTrafficSpec | NginxTrafficSpec | GatewayApiTrafficSpec | IngressNginxTrafficSpec;

interface TrafficCommon {
  /**
   * An HTTP readiness check for each version, checked before the start and before every step: a
   * path on the version's endpoint ("/v2/health/ready") or a URL with {{endpoint}} in it. Absent:
   * versions served by a model server are checked by their protocol's readiness, others not at all.
   */
  readonly readiness?: string;
}

export interface HaproxyTrafficSpec extends TrafficCommon {
  readonly router: 'haproxy';
  /** A unix socket path, or host:port of a TCP stats socket, at `level admin`. */
  readonly socket: string;
  readonly backend: string;
  readonly servers: { readonly stable: string; readonly canary: string };
}

export interface NginxTrafficSpec extends TrafficCommon {
  readonly router: 'nginx';
  /** The upstream include coalmine writes: a .conf file in the server's COALMINE_NGINX_INCLUDE_DIR. */
  readonly file: string;
  readonly upstream: string;
  /** Loopback host:port of the status server coalmine adds to the file, to verify reloads. */
  readonly status?: string;
  readonly keepalive?: number;
}

/** Where a Kubernetes router finds the cluster and the versions' Deployments. */
interface KubernetesCommon extends TrafficCommon {
  readonly namespace: string;
  /** A context of the server's kubeconfig (COALMINE_KUBECONFIG, or the default lookup). */
  readonly context?: string;
  /**
   * The Deployment behind a version's Service, whose ready replicas are its health (seed 003's
   * verify_deployments_health): a name with {{service}} in it; default the Service's own name.
   */
  readonly deployment: string;
}

/** A Gateway API HTTPRoute whose rule sends weighted traffic to the versions' Services. */
export interface GatewayApiTrafficSpec extends KubernetesCommon {
  readonly router: 'gateway-api';
  readonly route: string;
  /** Which of the route's rules (0-based) carries the model's traffic. */
  readonly rule: number;
}

/** ingress-nginx's canary: the main Ingress to stable, a second one marked canary with its weight. */
export interface IngressNginxTrafficSpec extends KubernetesCommon {
  readonly router: 'ingress-nginx';
  readonly ingress: string;
  readonly canaryIngress: string;
  /** canary-weight-total: 100 (percent, every ingress-nginx) or up to 10000 for finer steps (ingress-nginx ≥ 1.2). */
  readonly weightTotal: number;
}

/** The PromQL queries a Prometheus provider runs per variant; see docs/controller.md. */
export const METRIC_QUERIES = ['requests', 'errors', 'latency_buckets', 'latency_sum', 'latency_count', 'latency_mean', 'labelled', 'correct'] as const;
export type MetricQuery = (typeof METRIC_QUERIES)[number];

/** Where a rollout's measurements come from when not from coalmine's own telemetry (`metrics:` in a spec). */
export interface MetricsSpec {
  readonly provider: 'prometheus';
  readonly url: string;
  /** Query templates to start from: HAProxy's built-in exporter, or MLServer's metrics. */
  readonly preset: 'haproxy' | 'mlserver' | null;
  /** Templates per query, over the preset's; {{model}} {{version}} {{variant}} {{server}} {{address}} {{backend}} {{interval}}. */
  readonly queries: Readonly<Partial<Record<MetricQuery, string>>>;
  /** Latencies in Prometheus are seconds by convention; 'ms' for a histogram in milliseconds. */
  readonly latencyUnit: 's' | 'ms';
  /** Failed measurements tolerated in a row before the rollout rolls back (Argo Rollouts' default: 4). */
  readonly errorLimit: number;
  readonly timeoutMs: number;
}

export interface RolloutSpec {
  readonly canaryVersion: number;
  readonly steps: readonly StepSpec[];
  /** Time between analyses. */
  readonly intervalMs: number;
  /** Null: coalmine's default analysis. */
  readonly analysis: readonly AnalysisMetricSpec[] | null;
  /** Failed analyses tolerated (consecutive) before rolling back; a critical failure rolls back at once. */
  readonly failureLimit: number;
  /** What an inconclusive analysis does once a step's bake time is over: keep waiting, or pause for a person. */
  readonly inconclusive: 'wait' | 'pause';
  /** The rollout rolls back if it has not succeeded by then. */
  readonly maxDurationMs: number;
  /** Sample-ratio alarm level. */
  readonly srmAlpha: number;
  readonly webhooks: readonly string[];
  /** The proxy that splits the traffic; absent or null: coalmine's own router (rollouts saved before this field have none). */
  readonly traffic?: TrafficSpec | null;
  /** Where measurements come from; absent or null: coalmine's telemetry. */
  readonly metrics?: MetricsSpec | null;
}

/** What one analysis of a rollout step found: kept with the decision it led to. */
export interface AnalysisSummary {
  /**
   * The step whose traffic was judged (0-based) and its weight. A decision's own step is where the
   * rollout stands after it, so an analysis that advanced from step 1 sits on a step-2 decision.
   * Absent in histories saved before this field existed (see analysedStep).
   */
  readonly step?: number;
  readonly weightBp?: number;
  readonly status: VerdictStatus;
  readonly reason: string;
  readonly srmMismatch: boolean;
  readonly criticalFailure: boolean;
  readonly verdicts: readonly Verdict[];
  readonly n: { readonly stable: number; readonly canary: number };
}

/**
 * The step (0-based) a decision was made at: the one its analysis judged, or, for decisions
 * without one and histories saved before analyses named their step, the decision's own step,
 * except that an advance records the step it entered.
 */
export function decidedStep(d: Pick<Decision, 'step' | 'action' | 'analysis'>): number {
  return d.analysis?.step ?? (d.action === 'advance' ? d.step - 1 : d.step);
}

/** The step (0-based) an analysis judged, or null for a decision without one. */
export function analysedStep(d: Pick<Decision, 'step' | 'action' | 'analysis'>): number | null {
  return d.analysis ? decidedStep(d) : null;
}

export type DecisionAction = 'start' | 'hold' | 'advance' | 'pause' | 'resume' | 'promote' | 'rollback' | 'succeed' | 'fail' | 'retry';

/** One entry of a rollout's history: appended, never rewritten. */
export interface Decision {
  readonly seq: number;
  readonly at: string;
  readonly step: number;
  readonly weightBp: number;
  readonly phase: Phase;
  readonly action: DecisionAction;
  readonly reason: string;
  readonly actor: 'controller' | 'user';
  readonly analysis?: AnalysisSummary;
}

export interface Rollout {
  readonly id: string;
  readonly model: string;
  /** Compare-and-set counter of the stored record. */
  readonly revision: number;
  readonly spec: RolloutSpec;
  readonly phase: Phase;
  readonly stepIndex: number;
  readonly stepStartedAt: string;
  /** Routing revision the step's weight was applied at: the step's telemetry window starts there. */
  readonly stepRoutingRevision: number | null;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly stableVersion: number;
  readonly consecutiveFailures: number;
  /** Measurements that failed in a row (a Prometheus query that errored); absent in rollouts saved before it existed. */
  readonly consecutiveErrors?: number;
  readonly nextAnalysisAt: string | null;
  /** Why it is paused, failed or rolled back. */
  readonly reason: string | null;
  readonly attempt: number;
  readonly history: readonly Decision[];
}
