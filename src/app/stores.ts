import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { ArtifactFiles } from '../registry/index.js';
import {
  lockDataDir,
  openDatabase,
  SqlitePredictionLogStore,
  SqliteRegistryStore,
  SqliteRolloutStore,
  SqliteSettingsStore,
  SqliteTelemetryStore,
  WorkerPredictionLogStore,
} from '../store/index.js';
import { checkDatabaseIsNotLost, markDataDir, removeInterruptedUploads } from './data-dir.js';

/** Every store of the embedded shape, opened on one data directory that this process owns. */
export interface Stores {
  readonly dbFile: string;
  readonly files: ArtifactFiles;
  readonly registry: SqliteRegistryStore;
  readonly settings: SqliteSettingsStore;
  readonly telemetry: SqliteTelemetryStore;
  readonly predictionLog: WorkerPredictionLogStore;
  readonly rollouts: SqliteRolloutStore;
  /** Closes the connections and releases the data directory (after the writer thread has drained). */
  close(): Promise<void>;
}

/** The one place that opens state: the lock first, then the checks, then the databases. */
export function openStores(config: Config, log: Logger): Stores {
  const dbFile = join(config.dataDir, 'coalmine.db');
  const lock = lockDataDir(config.dataDir);
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
  removeInterruptedUploads(join(config.dataDir, 'models'), log);
  // A second connection to the same file, for the high-volume writes that need no fsync per commit.
  const telemetryDb = openDatabase(dbFile, 'NORMAL');
  const predictionLog = new WorkerPredictionLogStore(dbFile, new SqlitePredictionLogStore(telemetryDb), log);
  return {
    dbFile,
    files: new ArtifactFiles(config.dataDir),
    registry: new SqliteRegistryStore(db),
    settings: new SqliteSettingsStore(db),
    telemetry: new SqliteTelemetryStore(telemetryDb),
    predictionLog,
    rollouts: new SqliteRolloutStore(db),
    async close() {
      await predictionLog.close();
      telemetryDb.close();
      db.close();
      lock.release();
    },
  };
}
