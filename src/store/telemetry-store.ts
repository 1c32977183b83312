import type { ModelSettings, PredictionLogEntry, Label, Variant } from '../domain/index.js';

/** One series' statistics in one time bucket, serialized by telemetry/. */
export interface BucketRow {
  readonly model: string;
  readonly bucketStart: number;
  readonly variant: Variant;
  readonly version: number;
  readonly revision: number;
  readonly forced: boolean;
  /** The process that wrote the row: each upserts only its own, so restarts and replicas never overwrite each other. */
  readonly writer: string;
  readonly data: string;
}

/** Time-bucketed telemetry. Writes are upserts: the open bucket is rewritten at every flush. */
export interface TelemetryStore {
  writeBuckets(rows: readonly BucketRow[]): Promise<void>;
  readBuckets(model: string, fromMs: number, toMs: number): Promise<BucketRow[]>;
  purgeBuckets(beforeMs: number): Promise<number>;
}

export interface PredictionKey {
  readonly requestId: string;
  readonly row: number;
}

/** The bounded log of served predictions that late labels are joined to. */
export interface PredictionLogStore {
  append(entries: readonly PredictionLogEntry[]): Promise<void>;
  find(keys: readonly PredictionKey[]): Promise<PredictionLogEntry[]>;
  /** Sets labels on rows that have none yet; returns the keys actually labelled (a duplicate never counts twice). */
  setLabels(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]>;
  /** Drops rows older than `beforeMs`, then the oldest beyond `maxRows`. */
  purge(beforeMs: number, maxRows: number): Promise<number>;
}

export interface SettingsStore {
  get(model: string): Promise<ModelSettings | undefined>;
  save(model: string, settings: ModelSettings, at: string): Promise<void>;
}
