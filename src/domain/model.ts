import type { BasisPoints } from './weights.js';

/** What a model returns, as read from its ONNX graph (see runtime/onnx/inspect-onnx.ts) or its server's metadata. */
export type ModelTask = 'binary_classifier' | 'multiclass_classifier' | 'regressor';

/** Element types an input may have; JSON numbers, booleans and strings are converted to them. */
export type InputType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';

export const INPUT_TYPES: readonly InputType[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string'];

/** One named input tensor of shape [N] (rank 1) or [N, width] (rank 2). */
export interface InputSpec {
  readonly name: string;
  readonly type: InputType;
  readonly rank: 1 | 2;
  /** Values per row: 1 for [N]; for [N, k] k, or null when the model leaves it symbolic. */
  readonly width: number | null;
}

export interface ModelSignature {
  readonly task: ModelTask;
  /** The model's inputs, in the order the model declares them. */
  readonly inputs: readonly InputSpec[];
  /** Graph outputs coalmine reads, by role. */
  readonly outputs: {
    readonly probabilities?: string;
    readonly label?: string;
    readonly value?: string;
  };
  /** Number of classes for classifiers (2 for a single sigmoid output). */
  readonly classCount: number | null;
  /** Class labels in probability-column order, when the graph names them. */
  readonly classLabels: readonly (number | string)[] | null;
  readonly opsets: Readonly<Record<string, number>>;
  readonly producer: string;
  /** Changes made at registration so onnxruntime-node can serve the graph (e.g. ZipMap removed). */
  readonly rewrites: readonly string[];
}

export type VersionStatus = 'ready' | 'failed';

/** The wire protocols of the model servers coalmine can put a version in front of. */
export type UpstreamProtocol = 'open-inference' | 'mlflow' | 'tf-serving';

export const UPSTREAM_PROTOCOLS: readonly UpstreamProtocol[] = ['open-inference', 'mlflow', 'tf-serving'];

/** An ONNX file coalmine serves in-process. */
export interface OnnxSource {
  readonly kind: 'onnx';
  /** File name inside the data directory's models folder. */
  readonly artifact: string;
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** A model server coalmine calls: the version's URL as its protocol names it (see runtime/upstream). */
export interface UpstreamSource {
  readonly kind: UpstreamProtocol;
  readonly url: string;
}

/** Where a version's predictions come from; persisted as it is, picked apart by the runtime factory. */
export type VersionSource = OnnxSource | UpstreamSource;

export const isUpstream = (source: VersionSource): source is UpstreamSource => source.kind !== 'onnx';

export interface ModelVersion {
  readonly model: string;
  readonly version: number;
  readonly createdAt: string;
  /** What the version was registered from, as the operator named it (a file name, "upload", a URL). */
  readonly origin: string;
  readonly description: string;
  readonly signature: ModelSignature;
  readonly metrics: Readonly<Record<string, number>>;
  readonly source: VersionSource;
  /**
   * Where a proxy that coalmine drives (a rollout's `traffic.router`) sends this version's share:
   * host:port, or a Kubernetes Service as name:port. Absent: the address of its upstream URL.
   */
  readonly endpoint?: string;
}

/** Which versions serve a model and how traffic is split between them. */
export interface Routing {
  readonly stableVersion: number;
  readonly canaryVersion: number | null;
  readonly canaryWeightBp: BasisPoints;
  /** The stable version before the last promotion, so an operator can see what was replaced. */
  readonly previousStableVersion: number | null;
  /** The canary removed by the last rollback; `reset` redeploys it to repeat an experiment. */
  readonly lastCanaryVersion: number | null;
  /**
   * A version scored on a copy of live traffic after each reply is sent, never answering anyone
   * (shadow mode, docs/shadow.md): a flag on routing, not a third variant, so it reaches every
   * replica with the routing it belongs to.
   */
  readonly shadow: ShadowRouting | null;
  readonly revision: number;
  readonly updatedAt: string;
}

/** The versions a routing keeps loaded: stable, the canary and the shadow, those that are set. */
export function servingVersions(r: Routing): number[] {
  return [r.stableVersion, ...(r.canaryVersion === null ? [] : [r.canaryVersion]), ...(r.shadow ? [r.shadow.version] : [])];
}

export interface Model {
  readonly name: string;
  readonly createdAt: string;
  readonly versions: readonly ModelVersion[];
  readonly routing: Routing;
}

/** One value of one input for one row. */
export type InputScalar = number | string | boolean;

/** A row keyed by input name: a scalar for an input of width 1, an array for [N, k]. */
export type NamedRow = Readonly<Record<string, InputScalar | readonly InputScalar[]>>;

/** One row as a caller sends it: the values of a single-input model, or named inputs. */
export type FeatureRow = readonly InputScalar[] | NamedRow;


export interface Prediction {
  /** Class label for classifiers, value for regressors. */
  readonly prediction: number | string;
  /** Probability of class 1 for binary classifiers. */
  readonly probability?: number;
  /** Per-class probabilities for multiclass classifiers. */
  readonly probabilities?: readonly number[];
}

/** One routing change, kept forever in the store's event log so every change can be explained. */
export interface RoutingEvent {
  readonly model: string;
  readonly at: string;
  readonly action: 'register' | 'set_weight' | 'deploy' | 'promote' | 'rollback' | 'reset' | 'shadow_start' | 'shadow_stop';
  readonly routing: Routing;
  readonly reason: string;
}

/** What a shadow is held to: its verdict fails on the first check with evidence against it. */
export interface ShadowPolicy {
  /** Least share of rows whose class must agree with the primary's (classifiers). */
  readonly minAgreement: number;
  /** Most share of shadow calls that may fail or time out. */
  readonly maxErrorRate: number;
  /** Most the shadow's mean latency may exceed the primary's, relative (0.5: 50% slower), plus 5 ms. */
  readonly maxLatencyIncrease: number;
  /** Significance of every check; the accuracy check is always valid under continuous monitoring. */
  readonly alpha: number;
  /** Compared requests before agreement, errors and latency can pass. */
  readonly minCompared: number;
  /** Labelled requests both answered before accuracy can pass (it can fail sooner, on evidence). */
  readonly minLabelled: number;
}

export const DEFAULT_SHADOW_POLICY: ShadowPolicy = Object.freeze({ minAgreement: 0.9, maxErrorRate: 0.01, maxLatencyIncrease: 0.5, alpha: 0.05, minCompared: 200, minLabelled: 100 });

/** A running shadow session: which version, how much traffic it sees, since when, judged how. */
export interface ShadowRouting {
  /** Names the session: its comparisons and statistics are kept under it. */
  readonly id: string;
  readonly version: number;
  /** Share of the primary's requests copied to the shadow. */
  readonly sampleBp: BasisPoints;
  readonly startedAt: string;
  readonly policy: ShadowPolicy;
  /** Told when the verdict changes. */
  readonly webhooks: readonly string[];
}
