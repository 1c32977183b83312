import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import { lockDataDir, resolveAdminToken } from '../../app/index.js';
import { loadConfig, type ConfigOverrides } from '../../config/index.js';

/** Set in a worker's environment: it is worker k of a `serve --workers` primary (k = 1 creates the example model). */
export const WORKER_ENV = 'COALMINE_WORKER';

/** A worker that dies this soon after it started, this many times in a row, means it cannot start: the primary gives up. */
const CRASH_WINDOW_MS = 10_000;
const MAX_QUICK_CRASHES = 5;

export interface WorkersOptions {
  readonly workers: number;
  readonly overrides: ConfigOverrides;
  readonly generateToken: boolean;
  readonly examples: boolean;
}

/**
 * `serve --workers N`: N `serve` processes sharing one port (node:cluster hands each connection to
 * a worker), each a replica of the shared PostgreSQL state, so they already act as one server
 * (routing, telemetry, feedback, one rollout controller). The primary serves nothing: it starts
 * the workers, restarts one that dies, and stops them all on SIGTERM/SIGINT.
 *
 * On SQLite the primary holds the data directory's lock for its workers (a second, independent
 * server is still refused), and the workers share the file: they follow each other's changes
 * through its `store_changes` table and elect the rollout controller with a lease in it.
 */
export async function superviseWorkers(o: WorkersOptions): Promise<void> {
  const config = loadConfig(o.overrides);
  const log = pino({ level: config.logLevel, base: undefined });
  // Held until this process exits (kept referenced: a collected connection would let the lock go):
  // workers check that their primary holds it, and an independent server is refused.
  const lock = config.databaseUrl === null ? lockDataDir(config.dataDir) : null;
  // Resolved once here, so N workers do not race to write one token file.
  const admin = resolveAdminToken(config, o.generateToken);
  const env: Record<string, string> = admin.token !== null ? { COALMINE_ADMIN_TOKEN: admin.token } : {};
  let stopping = false;
  let quickCrashes = 0;
  const started = new Map<Worker, { k: number; at: number }>();

  const fork = (k: number): Worker => {
    const w = cluster.fork({ ...env, [WORKER_ENV]: String(k) });
    started.set(w, { k, at: Date.now() });
    return w;
  };
  // Workers that listen now. One that dies before it listens is replaced by the exit handler
  // below (which gives up after repeated quick deaths), so startup waits for its replacement.
  const listeningWorkers = new Set<Worker>();
  cluster.on('listening', (w) => listeningWorkers.add(w));
  const whenListening = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (listeningWorkers.size < n) return;
        cluster.off('listening', check);
        cluster.off('exit', check);
        resolve();
      };
      cluster.on('listening', check);
      cluster.on('exit', check);
      check();
    });

  cluster.on('exit', (w, code, signal) => {
    listeningWorkers.delete(w);
    const info = started.get(w);
    if (stopping || !info) return started.delete(w);
    quickCrashes = Date.now() - info.at < CRASH_WINDOW_MS ? quickCrashes + 1 : 0;
    if (quickCrashes >= MAX_QUICK_CRASHES) {
      log.error({ pid: w.process.pid, code, signal }, `workers keep dying right after they start (${MAX_QUICK_CRASHES} in a row); stopping`);
      stopAll(1);
      return;
    }
    log.warn({ pid: w.process.pid, code, signal, worker: info.k }, 'a worker died; starting another');
    fork(info.k);
    started.delete(w);
  });

  const stopAll = (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const alive = [...started.keys()].filter((w) => !w.isDead());
    for (const w of alive) w.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      for (const w of alive) w.process.kill('SIGKILL');
    }, 30_000);
    deadline.unref();
    void Promise.all(alive.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))))).then(() => {
      lock?.release();
      process.exit(exitCode);
    });
  };
  process.once('SIGINT', () => stopAll(0));
  process.once('SIGTERM', () => stopAll(0));

  // The first worker alone first: it upgrades the schema and creates the example model, so the
  // others find both instead of racing for them.
  fork(1);
  await whenListening(1);
  for (let k = 2; k <= o.workers; k++) fork(k);
  await whenListening(o.workers);
  log.info({ workers: o.workers, port: config.port, pids: [...started.keys()].map((w) => w.process.pid) }, `coalmine serving with ${o.workers} workers`);
}

/** In a worker: its number (1 is the first), or null when this process is not a `serve --workers` worker. */
export function workerNumber(): number | null {
  if (!cluster.isWorker) return null;
  const k = Number(process.env[WORKER_ENV]);
  return Number.isInteger(k) && k > 0 ? k : null;
}
