import { SHADOW_SCHEMA } from '../shadow-store.js';
import type Database from 'better-sqlite3';
import type { Label, PredictionLogEntry, Variant } from '../../domain/index.js';
import { encodeLogRows, packedBytes } from './prediction-log-codec.js';
import { chunkWriter } from './prediction-log-chunks.js';

/**
 * Schema changes, applied in order and recorded in SQLite's user_version. Never edit a shipped
 * migration: append a new one, so existing data directories upgrade in place. A migration is SQL,
 * or a function for the rare one that must move data SQL cannot produce.
 */
const MIGRATIONS: readonly (string | ((db: Database.Database) => void))[] = [
  `
  CREATE TABLE models (
    name TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    stable_version INTEGER NOT NULL,
    canary_version INTEGER,
    canary_weight_bp INTEGER NOT NULL DEFAULT 0 CHECK (canary_weight_bp BETWEEN 0 AND 10000),
    previous_stable_version INTEGER,
    last_canary_version INTEGER,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE versions (
    model TEXT NOT NULL REFERENCES models(name),
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    source TEXT NOT NULL,
    description TEXT NOT NULL,
    signature_json TEXT NOT NULL,
    metrics_json TEXT NOT NULL,
    artifact TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    PRIMARY KEY (model, version)
  );
  CREATE TABLE routing_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL REFERENCES models(name),
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    routing_json TEXT NOT NULL,
    reason TEXT NOT NULL
  );
  CREATE INDEX routing_events_model ON routing_events(model, id);
  `,
  `
  CREATE TABLE telemetry_buckets (
    model TEXT NOT NULL,
    bucket_start INTEGER NOT NULL,
    variant TEXT NOT NULL,
    version INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    forced INTEGER NOT NULL,
    writer TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (model, bucket_start, variant, version, revision, forced, writer)
  ) WITHOUT ROWID;
  CREATE TABLE prediction_log (
    request_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    model TEXT NOT NULL,
    variant TEXT NOT NULL,
    version INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    forced INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    prediction TEXT NOT NULL,
    probability REAL,
    label TEXT,
    labelled_at INTEGER,
    PRIMARY KEY (request_id, row)
  ) WITHOUT ROWID;
  CREATE INDEX prediction_log_created ON prediction_log(created_at);
  CREATE TABLE model_settings (
    model TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    revision INTEGER NOT NULL,
    phase TEXT NOT NULL,
    created_at TEXT NOT NULL,
    data TEXT NOT NULL
  );
  CREATE INDEX rollouts_model ON rollouts(model, created_at);
  -- One active rollout per model, enforced by the database itself.
  CREATE UNIQUE INDEX rollouts_one_active ON rollouts(model) WHERE phase NOT IN ('succeeded', 'rolled_back', 'failed');
  CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rollout_id TEXT NOT NULL,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    delivered_at INTEGER,
    given_up_at INTEGER,
    last_error TEXT
  );
  CREATE INDEX webhook_outbox_pending ON webhook_outbox(next_attempt_at) WHERE delivered_at IS NULL AND given_up_at IS NULL;
  `,
  // Request ids are UUIDv7, so the primary key already sorts the log by time and retention purges
  // walk it. A second B-tree on created_at cost the writer thread ~20% more CPU per row.
  `
  DROP INDEX prediction_log_created;
  `,
  // The log as chunks of packed rows, a SQLite row per slot of request-id time, and the labels
  // feedback adds beside them (see prediction-log-chunks.ts): a row per prediction cost the
  // writer ~5.5 µs of B-tree work each. The rows logged so far move over.
  (db) => {
    db.exec(`
      CREATE TABLE prediction_chunks (
        id INTEGER PRIMARY KEY,
        slot INTEGER NOT NULL,
        first_request_id TEXT NOT NULL,
        first_row INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        max_created_at INTEGER NOT NULL,
        data BLOB NOT NULL
      );
      CREATE UNIQUE INDEX prediction_chunks_slot ON prediction_chunks(slot, first_request_id, first_row);
      CREATE TABLE prediction_labels (
        request_id TEXT NOT NULL,
        row INTEGER NOT NULL,
        label TEXT NOT NULL,
        labelled_at INTEGER NOT NULL,
        PRIMARY KEY (request_id, row)
      ) WITHOUT ROWID;
    `);
    moveLoggedRows(db);
    db.exec('DROP TABLE prediction_log');
  },
  // A version may be a model server rather than a file: its source, as JSON; NULL for ONNX files.
  `ALTER TABLE versions ADD COLUMN upstream_json TEXT;`,
  // Several processes on one data directory (serve --workers): each write that the others must
  // apply leaves a row here in its own transaction (SQLite has no NOTIFY), and the rollout
  // controller's lease.
  `
  CREATE TABLE store_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    payload TEXT NOT NULL
  );
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  // Where a proxy that coalmine drives finds the version (host:port, or a Kubernetes Service),
  // when that is not the address of its upstream URL.
  `ALTER TABLE versions ADD COLUMN endpoint TEXT;`,
  // Shadow mode: the running shadow is part of routing (ShadowRouting as JSON), and what it was
  // compared on is kept per request and summed per session (see shadow-store.ts).
  SHADOW_SCHEMA,
];

interface OldLogRow {
  request_id: string;
  row: number;
  model: string;
  variant: Variant;
  version: number;
  revision: number;
  forced: number;
  created_at: number;
  prediction: string;
  probability: number | null;
  label: string | null;
  labelled_at: number | null;
}

/** Schema 4's prediction_log rows into chunks, a page of rows at a time (in key order, so a page spans few slots). */
function moveLoggedRows(db: Database.Database): void {
  const write = chunkWriter(db);
  const first = db.prepare<[number], OldLogRow>('SELECT * FROM prediction_log ORDER BY request_id, row LIMIT ?');
  const next = db.prepare<[string, number, number], OldLogRow>('SELECT * FROM prediction_log WHERE (request_id, row) > (?, ?) ORDER BY request_id, row LIMIT ?');
  const PAGE = 4096;
  for (let page = first.all(PAGE); page.length > 0; ) {
    const entries = page.map(
      (r): PredictionLogEntry => ({
        requestId: r.request_id,
        row: r.row,
        model: r.model,
        variant: r.variant,
        version: r.version,
        revision: r.revision,
        forced: r.forced === 1,
        createdAt: r.created_at,
        prediction: JSON.parse(r.prediction) as number | string,
        probability: r.probability,
        label: r.label === null ? null : (JSON.parse(r.label) as Label),
        labelledAt: r.labelled_at,
      }),
    );
    write(packedBytes(encodeLogRows(entries)));
    const last = page[page.length - 1]!;
    page = page.length < PAGE ? [] : next.all(last.request_id, last.row, PAGE);
  }
}

/** Told before each schema change, so that a long one (moving a large prediction log) is not a silent pause. */
export type MigrationNotice = (from: number, to: number) => void;

/** The schema this build writes: a data directory at it needs no upgrade. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the schema up to `target` (the newest by default; an older one only to test upgrades). */
export function migrate(db: Database.Database, target = MIGRATIONS.length, notice?: MigrationNotice): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `the data directory's database is at schema ${current}, newer than this coalmine (${MIGRATIONS.length}); upgrade coalmine`,
    );
  }
  for (let i = current; i < target; i++) {
    const step = MIGRATIONS[i]!;
    // A fresh file goes through every step in an instant; only an existing one is worth telling about.
    if (current > 0) notice?.(i, i + 1);
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
