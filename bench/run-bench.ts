/**
 * `npm run bench`: throughput and latency of the serving path, each as a ratio to a constant
 * route of the same server measured right before it, so figures compare across machines and a
 * noisy neighbour slows both sides of a ratio alike. Prints one JSON line per scenario and writes
 * them all to bench/results/latest.json. See docs/benchmarks.md for how to read them.
 */
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { churnRows } from '../src/examples/index.js';
import { startBenchServer } from './bench-process.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const here = fileURLToPath(new URL('.', import.meta.url));

interface Scenario {
  readonly name: string;
  readonly path: string;
  readonly weight?: number;
  /** Canary fault for the scenario (cleared after it). */
  readonly canaryDelayMs?: number;
  readonly body: () => string;
}

const rows = churnRows(10_000, 4242).map((r) => r.features);
let cursor = 0;
const nextRow = () => rows[cursor++ % rows.length]!;
const single = () => JSON.stringify({ features: nextRow() });
const PREDICT = '/v1/models/churn/predict';

const constant: Scenario = { name: 'constant route', path: '/bench/constant', body: single };
const scenarios: Scenario[] = [
  { name: 'predict, canary 0%', path: PREDICT, weight: 0, body: single },
  { name: 'predict, canary 20%', path: PREDICT, weight: 20, body: single },
  { name: 'predict, canary 50%', path: PREDICT, weight: 50, body: single },
  { name: 'predict, canary 20%, sticky keys', path: PREDICT, weight: 20, body: () => JSON.stringify({ features: nextRow(), key: `user-${cursor % 5000}` }) },
  { name: 'seed route POST /predict with labels, canary 20%', path: '/predict', weight: 20, body: () => JSON.stringify({ features: nextRow(), label: 1 }) },
  { name: 'batch of 64 rows, canary 20%', path: PREDICT, weight: 20, body: () => JSON.stringify({ features: Array.from({ length: 64 }, nextRow) }) },
  { name: 'predict, canary 20% and 10 ms slower', path: PREDICT, weight: 20, canaryDelayMs: 10, body: single },
];

async function load(url: string, s: Scenario, seconds: number) {
  return autocannon({
    url: url + s.path,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: s.body() }) }],
  });
}

interface Usage {
  readonly cpu_us: number;
  readonly loop_busy_ms: number;
}

const usage = async (url: string) => (await (await fetch(`${url}/bench/cpu`)).json()) as Usage;

async function send(url: string, method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
}

/** Runs one scenario: warm-up, then the measured load, with the server's CPU and event-loop time per request. */
async function measure(url: string, s: Scenario) {
  await load(url, s, 2); // warm-up: JIT, sockets, onnxruntime arenas
  const before = await usage(url);
  const r = await load(url, s, DURATION_S);
  const after = await usage(url);
  const n = Math.max(1, r.requests.total);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    cpuUs: (after.cpu_us - before.cpu_us) / n,
    loopUs: ((after.loop_busy_ms - before.loop_busy_ms) * 1000) / n,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  const results: Record<string, unknown>[] = [];
  const line = (name: string, m: Awaited<ReturnType<typeof measure>>, base: Awaited<ReturnType<typeof measure>>) => {
    const out = {
      scenario: name,
      requests_per_s: Math.round(m.rps),
      p50_ms: m.p50,
      p99_ms: m.p99,
      ratio_rps_vs_constant: Number((m.rps / base.rps).toFixed(3)),
      ratio_p99_vs_constant: Number((m.p99 / Math.max(base.p99, 1)).toFixed(3)),
      constant_requests_per_s: Math.round(base.rps),
      constant_p99_ms: base.p99,
      server_cpu_us_per_request: Number(m.cpuUs.toFixed(1)),
      event_loop_us_per_request: Number(m.loopUs.toFixed(1)),
      non_2xx: m.non2xx,
      errors: m.errors,
      connections: CONNECTIONS,
      duration_s: DURATION_S,
    };
    results.push(out);
    console.log(JSON.stringify(out));
  };
  try {
    for (const s of scenarios) {
      // The ceiling is measured again before each scenario: on a shared machine it drifts by
      // tens of percent within minutes, and a ratio to a stale ceiling would measure the drift.
      const base = await measure(server.url, constant);
      line(constant.name, base, base);
      if (s.weight !== undefined) await send(server.url, 'PUT', '/v1/models/churn/traffic', { canary_weight: s.weight });
      if (s.canaryDelayMs !== undefined) await send(server.url, 'POST', '/v1/models/churn/faults', { variant: 'canary', delay_ms: s.canaryDelayMs });
      try {
        line(s.name, await measure(server.url, s), base);
      } finally {
        if (s.canaryDelayMs !== undefined) await send(server.url, 'POST', '/v1/models/churn/faults', { clear: true });
      }
    }
  } finally {
    await server.stop();
  }
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2));
  const summary = results.find((r) => r.scenario === 'predict, canary 20%');
  if (summary) {
    console.log(
      `predict at canary 20%: ${summary.ratio_rps_vs_constant}× the constant route's requests/s (target ≥ 0.7), p99 ${summary.ratio_p99_vs_constant}× (target ≤ 2)`,
    );
  }
  const bad = results.filter((r) => (r.non_2xx as number) > 0 || (r.errors as number) > 0);
  if (bad.length > 0) {
    console.error(`benchmark saw failed requests in: ${bad.map((r) => r.scenario).join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
