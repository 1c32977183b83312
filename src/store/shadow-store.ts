import type { Label, ShadowComparison, ShadowSessionRecord } from '../domain/index.js';
import type { NewNotification } from './rollout-store.js';
import type { PredictionKey } from './telemetry-store.js';

/** One writer's running totals of one shadow session (serialized by telemetry/): summed across writers at read time. */
export interface ShadowStatsRow {
  readonly session: string;
  readonly writer: string;
  readonly data: string;
}

/**
 * What shadow sessions leave behind: one comparison per shadowed row (joined by request id, so a
 * late label reaches both predictions), each writer's summable totals per session, and each
 * session's record with the last verdict it reached.
 */
export interface ShadowStore {
  appendComparisons(rows: readonly ShadowComparison[]): Promise<void>;
  findComparisons(keys: readonly PredictionKey[]): Promise<ShadowComparison[]>;
  /** Sets labels on comparisons that have none; returns the keys that took one. */
  labelComparisons(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]>;
  /** The session's latest comparisons, newest first; `disagreeing` keeps only rows whose classes differ or whose shadow failed. */
  recentComparisons(session: string, limit: number, disagreeing: boolean): Promise<ShadowComparison[]>;
  /** Upserts each writer's totals (a writer rewrites only its own row). */
  writeStats(rows: readonly ShadowStatsRow[]): Promise<void>;
  readStats(session: string): Promise<ShadowStatsRow[]>;
  /** Creates or updates a session's record, with the notifications its new verdict sends, in one transaction. */
  saveSession(record: ShadowSessionRecord, notifications: readonly NewNotification[]): Promise<void>;
  session(id: string): Promise<ShadowSessionRecord | undefined>;
  /** A model's sessions, newest first. */
  sessions(model: string, limit: number): Promise<ShadowSessionRecord[]>;
  /** Drops comparisons older than `beforeMs`, then the oldest beyond `maxRows`. */
  purge(beforeMs: number, maxRows: number): Promise<number>;
}

/* The tables, the same columns on SQLite and PostgreSQL (one migration each); only the comparisons' column types differ. */

const SHADOW_TABLES = `
  CREATE TABLE shadow_stats (
    session TEXT NOT NULL,
    writer TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session, writer)
  );
  CREATE TABLE shadow_sessions (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    started_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX shadow_sessions_model ON shadow_sessions(model, started_at);
`;

export const SHADOW_SCHEMA = `
  ALTER TABLE models ADD COLUMN shadow_json TEXT;
  CREATE TABLE shadow_comparisons (
    request_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    session TEXT NOT NULL,
    model TEXT NOT NULL,
    primary_version INTEGER NOT NULL,
    shadow_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    primary_prediction TEXT NOT NULL,
    primary_probability REAL,
    primary_latency_ms REAL NOT NULL,
    shadow_prediction TEXT,
    shadow_probability REAL,
    shadow_latency_ms REAL NOT NULL,
    shadow_error TEXT,
    abs_delta REAL,
    agree INTEGER,
    label TEXT,
    labelled_at INTEGER,
    PRIMARY KEY (request_id, row)
  ) WITHOUT ROWID;
  CREATE INDEX shadow_comparisons_session ON shadow_comparisons(session, request_id);
  ${SHADOW_TABLES}`;

export const SHADOW_SCHEMA_POSTGRES = `
  ALTER TABLE models ADD COLUMN shadow_json TEXT;
  CREATE TABLE shadow_comparisons (
    request_id TEXT COLLATE "C" NOT NULL,
    row INTEGER NOT NULL,
    session TEXT NOT NULL,
    model TEXT NOT NULL,
    primary_version INTEGER NOT NULL,
    shadow_version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    primary_prediction TEXT NOT NULL,
    primary_probability DOUBLE PRECISION,
    primary_latency_ms DOUBLE PRECISION NOT NULL,
    shadow_prediction TEXT,
    shadow_probability DOUBLE PRECISION,
    shadow_latency_ms DOUBLE PRECISION NOT NULL,
    shadow_error TEXT,
    abs_delta DOUBLE PRECISION,
    agree BOOLEAN,
    label TEXT,
    labelled_at BIGINT,
    PRIMARY KEY (request_id, row)
  );
  CREATE INDEX shadow_comparisons_session ON shadow_comparisons(session, request_id);
  ${SHADOW_TABLES}`;

/** A comparison's columns, as both SQL stores keep them. */
export interface ComparisonRow {
  request_id: string;
  row: number;
  session: string;
  model: string;
  primary_version: number;
  shadow_version: number;
  created_at: number;
  primary_prediction: string;
  primary_probability: number | null;
  primary_latency_ms: number;
  shadow_prediction: string | null;
  shadow_probability: number | null;
  shadow_latency_ms: number;
  shadow_error: string | null;
  abs_delta: number | null;
  agree: number | boolean | null;
  label: string | null;
  labelled_at: number | null;
}

/** Predictions and labels are kept as JSON so a class 1 and a class "1" come back as they went in. */
export function toComparisonRow(c: ShadowComparison): ComparisonRow {
  return {
    request_id: c.requestId,
    row: c.row,
    session: c.session,
    model: c.model,
    primary_version: c.primaryVersion,
    shadow_version: c.shadowVersion,
    created_at: c.createdAt,
    primary_prediction: JSON.stringify(c.primaryPrediction),
    primary_probability: c.primaryProbability,
    primary_latency_ms: c.primaryLatencyMs,
    shadow_prediction: c.shadowPrediction === null ? null : JSON.stringify(c.shadowPrediction),
    shadow_probability: c.shadowProbability,
    shadow_latency_ms: c.shadowLatencyMs,
    shadow_error: c.shadowError,
    abs_delta: c.absDelta,
    agree: c.agree === null ? null : c.agree ? 1 : 0,
    label: c.label === null ? null : JSON.stringify(c.label),
    labelled_at: c.labelledAt,
  };
}

export function fromComparisonRow(r: ComparisonRow): ShadowComparison {
  return {
    session: r.session,
    requestId: r.request_id,
    row: Number(r.row),
    model: r.model,
    primaryVersion: Number(r.primary_version),
    shadowVersion: Number(r.shadow_version),
    createdAt: Number(r.created_at),
    primaryPrediction: JSON.parse(r.primary_prediction) as number | string,
    primaryProbability: r.primary_probability,
    primaryLatencyMs: r.primary_latency_ms,
    shadowPrediction: r.shadow_prediction === null ? null : (JSON.parse(r.shadow_prediction) as number | string),
    shadowProbability: r.shadow_probability,
    shadowLatencyMs: r.shadow_latency_ms,
    shadowError: r.shadow_error,
    absDelta: r.abs_delta,
    agree: r.agree === null ? null : Boolean(r.agree),
    label: r.label === null ? null : (JSON.parse(r.label) as Label),
    labelledAt: r.labelled_at === null ? null : Number(r.labelled_at),
  };
}

export const COMPARISON_COLUMNS = [
  'request_id', 'row', 'session', 'model', 'primary_version', 'shadow_version', 'created_at', 'primary_prediction', 'primary_probability', 'primary_latency_ms',
  'shadow_prediction', 'shadow_probability', 'shadow_latency_ms', 'shadow_error', 'abs_delta', 'agree', 'label', 'labelled_at',
] as const;
