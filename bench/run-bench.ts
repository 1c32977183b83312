/**
 * `npm run bench`: throughput and latency of the serving path, each as a ratio to a constant
 * route of the same server measured in the same run, so figures compare across machines.
 * Prints one JSON line per scenario and writes them all to bench/results/latest.json.
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
  readonly body: () => string;
}

const rows = churnRows(10_000, 4242).map((r) => r.features);
let cursor = 0;
const nextRow = () => rows[cursor++ % rows.length]!;

const scenarios: Scenario[] = [
  { name: 'constant route', path: '/bench/constant', body: () => JSON.stringify({ features: nextRow() }) },
  { name: 'predict, canary 0%', path: '/v1/models/churn/predict', weight: 0, body: () => JSON.stringify({ features: nextRow() }) },
  { name: 'predict, canary 20%', path: '/v1/models/churn/predict', weight: 20, body: () => JSON.stringify({ features: nextRow() }) },
  { name: 'predict, canary 50%', path: '/v1/models/churn/predict', weight: 50, body: () => JSON.stringify({ features: nextRow() }) },
  { name: 'predict, canary 20%, sticky keys', path: '/v1/models/churn/predict', weight: 20, body: () => JSON.stringify({ features: nextRow(), key: `user-${cursor % 5000}` }) },
  { name: 'seed route POST /predict, canary 20%', path: '/predict', weight: 20, body: () => JSON.stringify({ features: nextRow(), label: 1 }) },
  { name: 'batch of 64 rows, canary 20%', path: '/v1/models/churn/predict', weight: 20, body: () => JSON.stringify({ features: Array.from({ length: 64 }, nextRow) }) },
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

async function main(): Promise<void> {
  const server = await startBenchServer();
  const results: Record<string, unknown>[] = [];
  try {
    let baseline: { rps: number; p99: number } | undefined;
    for (const s of scenarios) {
      if (s.weight !== undefined) {
        await fetch(`${server.url}/v1/models/churn/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ canary_weight: s.weight }) });
      }
      await load(server.url, s, 2); // warm-up: JIT, sockets, onnxruntime arenas
      const r = await load(server.url, s, DURATION_S);
      const rps = r.requests.average;
      const p99 = r.latency.p99;
      baseline ??= { rps, p99 };
      const line = {
        scenario: s.name,
        requests_per_s: Math.round(rps),
        p50_ms: r.latency.p50,
        p99_ms: p99,
        ratio_rps_vs_constant: Number((rps / baseline.rps).toFixed(3)),
        ratio_p99_vs_constant: Number((p99 / Math.max(baseline.p99, 1)).toFixed(3)),
        non_2xx: r.non2xx,
        errors: r.errors + r.timeouts,
        connections: CONNECTIONS,
        duration_s: DURATION_S,
      };
      results.push(line);
      console.log(JSON.stringify(line));
    }
  } finally {
    await server.stop();
  }
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'latest.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2));
  const bad = results.filter((r) => (r.non_2xx as number) > 0 || (r.errors as number) > 0);
  if (bad.length > 0) {
    console.error(`benchmark saw failed requests in: ${bad.map((r) => r.scenario).join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
