import type { BasisPoints } from './weights.js';

/** What a model returns, as read from its ONNX graph (see runtime/onnx/inspect-onnx.ts). */
export type ModelTask = 'binary_classifier' | 'multiclass_classifier' | 'regressor';

export interface ModelSignature {
  readonly task: ModelTask;
  readonly inputName: string;
  /** Element type the graph expects; coalmine converts JSON numbers to it. */
  readonly inputType: 'float32' | 'float64';
  /** Number of features per row, or null when the graph leaves it symbolic. */
  readonly featureCount: number | null;
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

export interface ModelVersion {
  readonly model: string;
  readonly version: number;
  readonly createdAt: string;
  readonly source: string;
  readonly description: string;
  readonly signature: ModelSignature;
  readonly metrics: Readonly<Record<string, number>>;
  /** File name inside the data directory's models folder. */
  readonly artifact: string;
  readonly sha256: string;
  readonly sizeBytes: number;
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
  readonly revision: number;
  readonly updatedAt: string;
}

export interface Model {
  readonly name: string;
  readonly createdAt: string;
  readonly versions: readonly ModelVersion[];
  readonly routing: Routing;
}

export type FeatureRow = readonly number[];

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
  readonly action: 'register' | 'set_weight' | 'deploy' | 'promote' | 'rollback' | 'reset';
  readonly routing: Routing;
  readonly reason: string;
}
