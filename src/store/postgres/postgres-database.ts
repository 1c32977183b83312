import { SHADOW_SCHEMA_POSTGRES } from '../shadow-store.js';
import postgres from 'postgres';

export type Sql = postgres.Sql;
/** A connection to run queries on: the pool, or one transaction's. */
export type Tx = postgres.Sql | postgres.TransactionSql;

export interface PostgresOptions {
  /** Connections in the pool. */
  readonly max?: number;
  /** Notifications on the channels a connection LISTENs to (the change stream's connection). */
  readonly onNotify?: (channel: string, payload: string) => void;
  /** Keep connections open however long they idle or live (the LISTEN connection). */
  readonly persistent?: boolean;
}

/**
 * A pool of connections to the shared state (postgres.js: pooled, reconnecting, pipelined).
 * int8 columns come back as JS numbers: every one here holds milliseconds, counts or ids far
 * below 2^53, and strings would leak into every mapper.
 */
export function openPostgres(url: string, opts: PostgresOptions = {}): Sql {
  return postgres(url, {
    max: opts.max ?? 10,
    connect_timeout: 5,
    ...(opts.persistent ? { idle_timeout: 0, max_lifetime: null } : { idle_timeout: 60 }),
    // A runtime option of postgres.js (its own listen() is built on it) that its typings leave out.
    ...((opts.onNotify ? { onnotify: opts.onNotify } : {}) as object),
    // postgres.js waits up to 20 s between reconnects once an outage has lasted a few seconds
    // (3^retries / 100 s); a replica is to catch up within about a second of the database's
    // return, so the wait is capped at 1 s, jittered so that replicas do not all knock at once.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** retries, 1),
    onnotice: () => undefined,
    types: {
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
    connection: { application_name: 'coalmine' },
  });
}

/** The migrations' advisory lock key: replicas starting together upgrade the schema once. */
const MIGRATION_LOCK = 0x636f616c; // "coal"

/**
 * Schema changes, applied in order, each recorded in schema_migrations with its number. Never
 * edit a shipped migration: append a new one. The whole upgrade holds an advisory lock, so two
 * replicas starting at once do not both apply it.
 */
const MIGRATIONS: readonly string[] = [
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
    size_bytes BIGINT NOT NULL,
    upstream_json TEXT,
    PRIMARY KEY (model, version)
  );
  CREATE TABLE routing_events (
    id BIGSERIAL PRIMARY KEY,
    model TEXT NOT NULL REFERENCES models(name),
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    routing_json TEXT NOT NULL,
    reason TEXT NOT NULL
  );
  CREATE INDEX routing_events_model ON routing_events(model, id);
  -- The ONNX files themselves, so a replica on another machine can load what one registered.
  CREATE TABLE artifacts (
    sha256 TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE telemetry_buckets (
    model TEXT NOT NULL,
    bucket_start BIGINT NOT NULL,
    variant TEXT NOT NULL,
    version INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    forced BOOLEAN NOT NULL,
    writer TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (model, bucket_start, variant, version, revision, forced, writer)
  );
  CREATE INDEX telemetry_buckets_start ON telemetry_buckets(bucket_start);
  CREATE TABLE model_settings (
    model TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE prediction_chunks (
    id BIGSERIAL PRIMARY KEY,
    slot BIGINT NOT NULL,
    first_request_id TEXT COLLATE "C" NOT NULL,
    first_row INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    max_created_at BIGINT NOT NULL,
    data BYTEA NOT NULL
  );
  CREATE UNIQUE INDEX prediction_chunks_slot ON prediction_chunks(slot, first_request_id, first_row);
  CREATE TABLE prediction_labels (
    request_id TEXT COLLATE "C" NOT NULL,
    row INTEGER NOT NULL,
    label TEXT NOT NULL,
    labelled_at BIGINT NOT NULL,
    PRIMARY KEY (request_id, row)
  );
  CREATE TABLE rollouts (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    revision INTEGER NOT NULL,
    phase TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seq BIGSERIAL,
    data TEXT NOT NULL
  );
  CREATE INDEX rollouts_model ON rollouts(model, created_at);
  CREATE UNIQUE INDEX rollouts_one_active ON rollouts(model) WHERE phase NOT IN ('succeeded', 'rolled_back', 'failed');
  CREATE TABLE webhook_outbox (
    id BIGSERIAL PRIMARY KEY,
    rollout_id TEXT NOT NULL,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    delivered_at BIGINT,
    given_up_at BIGINT,
    last_error TEXT
  );
  CREATE INDEX webhook_outbox_pending ON webhook_outbox(next_attempt_at) WHERE delivered_at IS NULL AND given_up_at IS NULL;
  -- Who drives what (a model's rollout controller): one holder at a time, until it expires.
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  `,
  // Where a proxy that coalmine drives finds the version, when that is not its upstream URL's address.
  `ALTER TABLE versions ADD COLUMN endpoint TEXT;`,
  // Shadow mode (see shadow-store.ts).
  SHADOW_SCHEMA_POSTGRES,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database's schema up to date; returns the version it was at. Refuses a newer schema than this build knows. */
export async function migratePostgres(sql: Sql, onUpgrade?: (from: number, to: number) => void): Promise<number> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`;
    const [row] = await tx<{ v: number | null }[]>`SELECT MAX(version) AS v FROM schema_migrations`;
    const from = row?.v ?? 0;
    if (from > MIGRATIONS.length) {
      throw new Error(`the database's schema is version ${from}, newer than this coalmine (${MIGRATIONS.length}); upgrade coalmine on this machine to the version the other replicas run`);
    }
    if (from < MIGRATIONS.length) onUpgrade?.(from, MIGRATIONS.length);
    for (let i = from; i < MIGRATIONS.length; i++) {
      await tx.unsafe(MIGRATIONS[i]!);
      await tx`INSERT INTO schema_migrations (version, applied_at) VALUES (${i + 1}, ${new Date().toISOString()})`;
    }
    return from;
  });
}
