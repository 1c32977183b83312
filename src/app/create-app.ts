import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { buildServer } from '../api/index.js';
import { loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { ArtifactFiles, ModelRegistry } from '../registry/index.js';
import { PredictionService, RuntimePool } from '../serving/index.js';
import { openDatabase, SqliteRegistryStore } from '../store/index.js';

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly registry: ModelRegistry;
  readonly predictions: PredictionService;
  readonly pool: RuntimePool;
  readonly http: FastifyInstance;
  /** Loads models and listens; resolves to the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface AppOptions {
  readonly logger?: Logger;
  readonly now?: () => Date;
  readonly random?: () => number;
}

/** The only place that picks implementations for the ports. */
export async function createApp(overrides: ConfigOverrides = {}, options: AppOptions = {}): Promise<App> {
  const config = loadConfig(overrides);
  const log = options.logger ?? pino({ level: config.logLevel, base: undefined });
  const db = openDatabase(join(config.dataDir, 'coalmine.db'));
  const store = new SqliteRegistryStore(db);
  const files = new ArtifactFiles(config.dataDir);
  const pool = new RuntimePool((v) => files.path(v.artifact), log);
  const registry = new ModelRegistry({
    store,
    files,
    loader: pool,
    now: options.now ?? (() => new Date()),
    resetCanaryWeightBp: config.resetCanaryWeightBp,
  });
  const predictions = new PredictionService({
    registry,
    pool,
    maxBatchRows: config.maxBatchRows,
    log,
    ...(options.random ? { random: options.random } : {}),
  });
  await predictions.start();
  const http = buildServer({ config, registry, predictions, versions: { loadError: (m, v) => pool.failure(m, v) } }, log);
  let closed = false;
  return {
    config,
    log,
    registry,
    predictions,
    pool,
    http,
    async listen() {
      const address = await http.listen({ host: config.host, port: config.port });
      log.info({ url: address, dataDir: config.dataDir }, 'coalmine listening');
      return address.replace('[::1]', '127.0.0.1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      await pool.closeAll();
      db.close();
    },
  };
}
