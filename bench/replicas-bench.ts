/**
 * `npm run bench:replicas`: what replicas on PostgreSQL cost and give, against the embedded shape,
 * in one run. Scenarios: one process on SQLite; `serve --workers 2` on one SQLite data directory
 * (the port shared, node:cluster handing out connections); one replica on PostgreSQL; two replicas
 * on one PostgreSQL (each taking half the connections); `serve --workers 2` on PostgreSQL. Each runs labelled predictions at canary 20% for
 * BENCH_REPLICAS_SECONDS (10 s) under BENCH_CONNECTIONS (32) connections, and reports:
 *
 * - requests/s, and the ratio to the SQLite process measured in the same run;
 * - CPU µs per request of coalmine's processes and, for PostgreSQL, of the database server;
 * - what each replica writes to the database per second (telemetry rows upserted, prediction-log
 *   chunks and bytes), the figures docs/scaling.md sizes a database with.
 *
 * The PostgreSQL server is a throwaway one on loopback (test-support/postgres-server.ts: fsync off,
 * as its figures are about CPU and rows, not disks). Everything shares this machine's cores, so
 * two replicas here show the cost of coordination, not the scaling of two machines.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { churnRows } from '../src/examples/index.js';
import { startPostgres, testDatabase } from '../src/test-support/postgres-server.js';
import { startBenchServer, type BenchServer } from './bench-process.js';
import { childrenOf, cpuSeconds } from './proc-stats.js';

const SECONDS = Math.max(2, Number(process.env.BENCH_REPLICAS_SECONDS ?? 10));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const rows = churnRows(10_000, 77);
let cursor = 0;
const body = () => {
  const r = rows[cursor++ % rows.length]!;
  return JSON.stringify({ features: r.features, label: r.label });
};

/** Every process named postgres (the server and its backends), for the database's CPU. */
function postgresPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    });
}

interface Writes {
  readonly telemetryRows: number;
  readonly chunks: number;
  readonly logBytes: number;
}

async function writes(sql: postgres.Sql): Promise<Writes> {
  const [t] = await sql<{ n: number }[]>`SELECT (n_tup_ins + n_tup_upd)::float8 AS n FROM pg_stat_user_tables WHERE relname = 'telemetry_buckets'`;
  const [c] = await sql<{ n: number; bytes: number }[]>`SELECT COUNT(*)::float8 AS n, COALESCE(SUM(octet_length(data)), 0)::float8 AS bytes FROM prediction_chunks`;
  return { telemetryRows: t?.n ?? 0, chunks: c?.n ?? 0, logBytes: c?.bytes ?? 0 };
}

interface Result {
  readonly scenario: string;
  readonly replicas: number;
  readonly store: 'sqlite' | 'postgres';
  readonly requests_per_s: number;
  readonly coalmine_cpu_us_per_request: number;
  readonly database_cpu_us_per_request: number | null;
  readonly per_replica_per_s: { telemetry_rows: number; log_chunks: number; log_bytes: number } | null;
  readonly errors: number;
}

async function drive(servers: readonly BenchServer[], seconds: number): Promise<{ requests: number; rps: number; errors: number }> {
  const each = Math.max(1, Math.floor(CONNECTIONS / servers.length));
  const results = await Promise.all(
    servers.map((s) =>
      autocannon({ url: `${s.url}/predict`, method: 'POST', connections: each, duration: seconds, headers: { 'content-type': 'application/json' }, requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }] }),
    ),
  );
  return {
    requests: results.reduce((a, r) => a + r.requests.total, 0),
    rps: results.reduce((a, r) => a + r.requests.average, 0),
    errors: results.reduce((a, r) => a + r.errors + r.timeouts + r.non2xx, 0),
  };
}

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

/** `coalmine serve --workers n` (the built CLI, as users run it), resolved once every worker answers. */
async function startWorkers(n: number, env: Record<string, string>): Promise<BenchServer & { readonly pids: () => number[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-bench-workers-'));
  const port = 30_000 + Math.floor(Math.random() * 10_000);
  const child = spawn(process.execPath, [CLI, 'serve', '--workers', String(n), '--examples', '--data-dir', dataDir, '--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, COALMINE_LOG_LEVEL: 'warn', ...env } });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`serve --workers exited with ${child.exitCode}`);
    const seen = new Set<number>();
    for (let k = 0; k < 4 * n; k++) {
      const h = await fetch(`${url}/healthz`, { headers: { connection: 'close' } }).then((r) => r.json() as Promise<{ pid: number }>, () => undefined);
      if (h) seen.add(h.pid);
    }
    if (seen.size >= n) break;
    if (i > 200) throw new Error('serve --workers did not start its workers');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    pids: () => [child.pid!, ...childrenOf(child.pid!)],
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function setWeight(url: string): Promise<void> {
  await fetch(`${url}/v1/models/churn/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ canary_weight: 20 }) });
}

async function scenario(name: string, store: 'sqlite' | 'postgres', count: number, databaseUrl?: string, shape: 'replicas' | 'workers' = 'replicas'): Promise<Result> {
  const env: Record<string, string> = databaseUrl ? { COALMINE_DATABASE_URL: databaseUrl } : {};
  const servers: BenchServer[] = [];
  const sql = databaseUrl ? postgres(databaseUrl, { max: 1, onnotice: () => undefined }) : undefined;
  try {
    let pidsOf: () => number[];
    if (shape === 'workers') {
      const w = await startWorkers(count, env);
      servers.push(w);
      pidsOf = w.pids;
    } else {
      // One after the other: the first registers the example model, the others find it.
      for (let i = 0; i < count; i++) servers.push(await startBenchServer({ env }));
      pidsOf = () => servers.map((s) => s.pid);
    }
    await setWeight(servers[0]!.url);
    await drive(servers, 2); // warm-up: JIT, connections, files fetched from the database
    const pids = pidsOf();
    const pg = databaseUrl ? postgresPids() : [];
    const cpu0 = pids.reduce((a, p) => a + cpuSeconds(p), 0);
    const db0 = pg.reduce((a, p) => a + cpuSeconds(p), 0);
    const w0 = sql ? await writes(sql) : undefined;
    const load = await drive(servers, SECONDS);
    // The last flush of the window lands within a flush interval.
    await new Promise((r) => setTimeout(r, 1500));
    const cpu = pids.reduce((a, p) => a + cpuSeconds(p), 0) - cpu0;
    const db = pg.reduce((a, p) => a + cpuSeconds(p), 0) - db0;
    const w1 = sql ? await writes(sql) : undefined;
    const per = (x: number) => Number((x / SECONDS / count).toFixed(1));
    return {
      scenario: name,
      replicas: count,
      store,
      requests_per_s: Math.round(load.rps),
      coalmine_cpu_us_per_request: Number(((cpu * 1e6) / Math.max(1, load.requests)).toFixed(1)),
      database_cpu_us_per_request: databaseUrl ? Number(((db * 1e6) / Math.max(1, load.requests)).toFixed(1)) : null,
      per_replica_per_s: w0 && w1 ? { telemetry_rows: per(w1.telemetryRows - w0.telemetryRows), log_chunks: per(w1.chunks - w0.chunks), log_bytes: Math.round((w1.logBytes - w0.logBytes) / SECONDS / count) } : null,
      errors: load.errors,
    };
  } finally {
    await sql?.end({ timeout: 1 });
    for (const s of servers) await s.stop();
  }
}

const results: Result[] = [];
results.push(await scenario('one process, SQLite', 'sqlite', 1));
results.push(await scenario('serve --workers 2, SQLite', 'sqlite', 2, undefined, 'workers'));
const pg = await startPostgres();
try {
  const one = await testDatabase(pg.url);
  results.push(await scenario('one replica, PostgreSQL', 'postgres', 1, one.url));
  const two = await testDatabase(pg.url);
  results.push(await scenario('two replicas, one PostgreSQL', 'postgres', 2, two.url));
  const workers = await testDatabase(pg.url);
  results.push(await scenario('serve --workers 2, PostgreSQL', 'postgres', 2, workers.url, 'workers'));
} finally {
  await pg.stop();
}
const base = results[0]!.requests_per_s;
for (const r of results) console.log(JSON.stringify({ ...r, ratio_rps_vs_sqlite: Number((r.requests_per_s / Math.max(1, base)).toFixed(3)) }));
console.log(
  'ratio_rps_vs_sqlite: requests/s over the one SQLite process of this run (all on the same cores, so two replicas show coordination cost, not two machines). coalmine_cpu_us_per_request: the replicas\' CPU; database_cpu_us_per_request: the PostgreSQL server\'s. per_replica_per_s: what one replica writes to the database each second.',
);
if (results.some((r) => r.errors > 0)) process.exitCode = 1;
