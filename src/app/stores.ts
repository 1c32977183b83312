import { join } from 'node:path';
import type { Logger } from 'pino';
import { redactDatabaseUrl, type Config } from '../config/index.js';
import { ArtifactFiles } from '../registry/index.js';
import {
  lockDataDir,
  migratePostgres,
  NoChangeStream,
  openDatabase,
  openPostgres,
  PostgresArtifactBlobs,
  PostgresChangeStream,
  PostgresLeaseStore,
  SoleLeaseStore,
  SqliteChangeStream,
  SqliteLeaseStore,
  verifyLockHeldBy,
  PostgresPredictionLogStore,
  PostgresRegistryStore,
  PostgresRolloutStore,
  PostgresSettingsStore,
  PostgresTelemetryStore,
  SqlitePredictionLogStore,
  SqliteRegistryStore,
  SqliteRolloutStore,
  SqliteSettingsStore,
  SqliteTelemetryStore,
  WorkerPredictionLogStore,
  type ArtifactBlobs,
  type ChangeStream,
  type LeaseStore,
  type OutboxStore,
  type PredictionLogStore,
  type RegistryStore,
  type RolloutStore,
  type ShadowStore,
  SqliteShadowStore,
  PostgresShadowStore,
  type SettingsStore,
  type TelemetryStore,
} from '../store/index.js';
import { checkDatabaseIsNotLost, markDataDir, removeInterruptedUploads } from './data-dir.js';

/** Every store port, opened on the embedded SQLite database or on a shared PostgreSQL one. */
export interface Stores {
  readonly kind: 'sqlite' | 'postgres';
  /** Other processes write the same state (replicas on PostgreSQL, or `serve --workers` on one SQLite file). */
  readonly shared: boolean;
  /** Where the state is, for logs and messages (a database URL without its password). */
  readonly where: string;
  /** The data directory's model files: the only copy on SQLite, a local cache by sha256 on PostgreSQL. */
  readonly files: ArtifactFiles;
  /** The model files every replica can read (PostgreSQL); null on SQLite. */
  readonly blobs: ArtifactBlobs | null;
  readonly registry: RegistryStore;
  readonly settings: SettingsStore;
  readonly telemetry: TelemetryStore;
  readonly predictionLog: PredictionLogStore & { close?(): Promise<void> };
  readonly rollouts: RolloutStore & OutboxStore;
  /** Shadow comparisons, per-writer totals and session records. */
  readonly shadows: ShadowStore;
  /** Other replicas' changes (PostgreSQL's LISTEN/NOTIFY); nothing on SQLite, whose one process makes them all. */
  readonly changes: ChangeStream;
  /** Who drives the rollouts among replicas; on SQLite the one process always does. */
  readonly leases: LeaseStore;
  /** Closes the connections and releases the data directory (after the writer thread has drained). */
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  /**
   * This process is a `serve --workers` worker: its parent (the primary) holds the data
   * directory's lock for all its workers, which share the SQLite file and follow each other's
   * changes through it.
   */
  readonly workerOf?: number;
}

/** The one place that opens state. */
export async function openStores(config: Config, log: Logger, opts: OpenStoresOptions = {}): Promise<Stores> {
  return config.databaseUrl !== null ? openPostgresStores(config, config.databaseUrl, log) : openSqliteStores(config, log, opts.workerOf);
}

/**
 * The embedded shape: one SQLite file in a data directory this process owns (the lock first,
 * then the checks, then the databases), or that the workers of one primary share.
 */
function openSqliteStores(config: Config, log: Logger, workerOf: number | undefined): Stores {
  const dbFile = join(config.dataDir, 'coalmine.db');
  const lock = workerOf === undefined ? lockDataDir(config.dataDir) : verifyLockHeldBy(config.dataDir, workerOf);
  let db: ReturnType<typeof openDatabase>;
  try {
    checkDatabaseIsNotLost(config.dataDir, dbFile);
    // Logged because an upgrade can take a while (schema 5 moves the prediction log: ~8 s per million rows).
    db = openDatabase(dbFile, 'FULL', (from, to) => log.info({ file: dbFile, from, to }, `upgrading the data directory's database from schema ${from} to ${to}`));
  } catch (err) {
    lock.release();
    throw err;
  }
  markDataDir(config.dataDir);
  // A worker must not delete another worker's upload in progress; the primary's first worker cleans up.
  if (workerOf === undefined || process.env.COALMINE_WORKER === '1') removeInterruptedUploads(join(config.dataDir, 'models'), log);
  const shared = workerOf !== undefined;
  const changes = shared ? new SqliteChangeStream(db) : new NoChangeStream();
  // A second connection to the same file, for the high-volume writes that need no fsync per commit.
  const telemetryDb = openDatabase(dbFile, 'NORMAL');
  const predictionLog = new WorkerPredictionLogStore(dbFile, new SqlitePredictionLogStore(telemetryDb), log);
  return {
    kind: 'sqlite',
    shared,
    where: dbFile,
    files: new ArtifactFiles(config.dataDir),
    blobs: null,
    registry: new SqliteRegistryStore(db),
    settings: new SqliteSettingsStore(db),
    telemetry: new SqliteTelemetryStore(telemetryDb),
    predictionLog,
    rollouts: new SqliteRolloutStore(db),
    shadows: new SqliteShadowStore(telemetryDb, db, (rows, here) => predictionLog.appendComparisons(rows, here)),
    changes,
    leases: shared ? new SqliteLeaseStore(db) : new SoleLeaseStore(),
    async close() {
      await changes.close();
      await predictionLog.close();
      telemetryDb.close();
      db.close();
      lock.release();
    },
  };
}

/**
 * Replicas on one PostgreSQL state. The data directory holds only this replica's cache of model
 * files (fetched from the database by sha256) and its admin token file, so replicas may share
 * one or each have their own.
 */
async function openPostgresStores(config: Config, url: string, log: Logger): Promise<Stores> {
  const where = redactDatabaseUrl(url);
  const sql = openPostgres(url);
  try {
    await migratePostgres(sql, (from, to) => log.info({ database: where, from, to }, `upgrading the database's schema from ${from} to ${to}`));
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot open the state in ${where}: ${why}`);
  }
  // LISTEN holds a connection of its own for as long as the replica runs.
  const changes = new PostgresChangeStream((onNotify) => openPostgres(url, { max: 1, persistent: true, onNotify }), {
    onLink: (link) => {
      if (link.connected) log.info({ database: where }, 'the database is reachable again; reading the state again');
      else log.warn({ database: where, err: link.error }, 'lost the database: serving the last routing, refusing changes until it is back');
    },
  });
  removeInterruptedUploads(join(config.dataDir, 'models'), log);
  return {
    kind: 'postgres',
    shared: true,
    where,
    files: new ArtifactFiles(config.dataDir),
    blobs: new PostgresArtifactBlobs(sql),
    registry: new PostgresRegistryStore(sql),
    settings: new PostgresSettingsStore(sql),
    telemetry: new PostgresTelemetryStore(sql),
    predictionLog: new PostgresPredictionLogStore(sql),
    rollouts: new PostgresRolloutStore(sql),
    shadows: new PostgresShadowStore(sql),
    changes,
    leases: new PostgresLeaseStore(sql),
    async close() {
      await changes.close();
      await sql.end({ timeout: 5 });
    },
  };
}
