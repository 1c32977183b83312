/**
 * `npm run bench`: throughput and latency of the serving path, each as a ratio to a constant
 * route of the same server measured in the same minute, so figures compare across machines and a
 * noisy neighbour slows both sides of a ratio alike. Each scenario alternates with the constant
 * route over several rounds (constant first, then scenario first: ABBA) and reports the median of
 * the paired ratios, so one slice hit by a neighbour's burst does not decide the figure. Prints
 * one JSON line per scenario and writes them all to bench/results/latest.json. See
 * docs/benchmarks.md for how to read them.
 */
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { churnRows } from '../src/examples/index.js';
import { startBenchServer } from './bench-process.js';
import { gatewaySummary, runGatewayBench } from './gateway-bench.js';
import { runShadowPair, shadowSummary } from './shadow-bench.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 9);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SLICE_S = Math.max(1, Math.round(DURATION_S / ROUNDS));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Runs only the scenarios whose name holds this text ("shadow", "gateway", "sticky"…); the constant ceiling always runs. */
const ONLY = process.env.BENCH_ONLY?.toLowerCase() ?? null;
const chosen = (name: string) => ONLY === null || name.toLowerCase().includes(ONLY);
/** Constant-route slices further apart than this factor mean the machine, not coalmine, moved. */
const UNSTEADY = 2;
const here = fileURLToPath(new URL('.', import.meta.url));

interface Scenario {
  readonly name: string;
  readonly path: string;
  readonly weight?: number;
  /** Canary fault for the scenario (cleared after it). */
  readonly canaryDelayMs?: number;
  /** Concurrent connections for the scenario and its paired constant-route slices (default BENCH_CONNECTIONS). */
  readonly connections?: number;
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
  // More clients in flight: more requests share each event-loop turn, so each model call scores
  // more rows. Both sides of the ratio run at this concurrency.
  { name: 'predict, canary 20%, 128 connections', path: PREDICT, weight: 20, connections: 128, body: single },
];

async function load(url: string, s: Scenario, seconds: number, connections = s.connections ?? CONNECTIONS) {
  return autocannon({
    url: url + s.path,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: s.body() }) }],
  });
}

interface Usage {
  readonly cpu_us: number;
  /** The event loop's thread alone (Linux); null elsewhere. */
  readonly main_cpu_us: number | null;
  /** Time the event loop's thread was ready to run but waited for a core (Linux); null elsewhere. */
  readonly main_wait_us: number | null;
  readonly loop_busy_ms: number;
}

const usage = async (url: string) => (await (await fetch(`${url}/bench/cpu`)).json()) as Usage;

async function send(url: string, method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
}

type Measured = Awaited<ReturnType<typeof slice>>;

/** One slice of measured load, with the server's CPU and event-loop time per request. */
async function slice(url: string, s: Scenario, seconds: number, connections?: number) {
  const before = await usage(url);
  const r = await load(url, s, seconds, connections);
  const after = await usage(url);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    cpuUs: after.cpu_us - before.cpu_us,
    mainCpuUs: after.main_cpu_us === null || before.main_cpu_us === null ? null : after.main_cpu_us - before.main_cpu_us,
    mainWaitUs: after.main_wait_us === null || before.main_wait_us === null ? null : after.main_wait_us - before.main_wait_us,
    seconds,
    loopUs: (after.loop_busy_ms - before.loop_busy_ms) * 1000,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const round3 = (x: number) => Number(x.toFixed(3));

/** A per-request figure over the slices (µs, one decimal); null when a slice lacks it. */
function perRequest(xs: readonly Measured[], f: (m: Measured) => number): number;
function perRequest(xs: readonly Measured[], f: (m: Measured) => number | null): number | null;
function perRequest(xs: readonly Measured[], f: (m: Measured) => number | null): number | null {
  if (xs.some((m) => f(m) === null)) return null;
  const n = Math.max(1, xs.reduce((a, m) => a + m.requests, 0));
  return Number((xs.reduce((a, m) => a + f(m)!, 0) / n).toFixed(1));
}

/** Median over the paired rounds of (constant's event-loop CPU per request) / (the scenario's). */
function cpuRatio(runs: readonly Measured[], bases: readonly Measured[]): number | null {
  const ratios: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    const base = bases[i]!;
    if (run.mainCpuUs === null || base.mainCpuUs === null || run.requests === 0 || base.requests === 0) return null;
    ratios.push(base.mainCpuUs / base.requests / (run.mainCpuUs / run.requests));
  }
  return round3(median(ratios));
}

/** Share of the slices' wall time the event loop's thread spent ready to run but without a core. */
function waitShare(xs: readonly Measured[]): number | null {
  if (xs.some((m) => m.mainWaitUs === null)) return null;
  const wall = xs.reduce((a, m) => a + m.seconds * 1e6, 0);
  return round3(xs.reduce((a, m) => a + m.mainWaitUs!, 0) / wall);
}

/** The figures of a scenario over its slices, each ratio the median of the paired slices' ratios. */
function summarize(name: string, runs: readonly Measured[], bases: readonly Measured[], connections = CONNECTIONS) {
  const sum = (xs: readonly Measured[], f: (m: Measured) => number) => xs.reduce((a, m) => a + f(m), 0);
  return {
    scenario: name,
    requests_per_s: Math.round(median(runs.map((m) => m.rps))),
    p50_ms: median(runs.map((m) => m.p50)),
    p99_ms: median(runs.map((m) => m.p99)),
    ratio_rps_vs_constant: round3(median(runs.map((m, i) => m.rps / bases[i]!.rps))),
    ratio_p99_vs_constant: round3(median(runs.map((m, i) => m.p99 / Math.max(bases[i]!.p99, 1)))),
    ratio_rps_by_round: runs.map((m, i) => round3(m.rps / bases[i]!.rps)),
    constant_requests_per_s: Math.round(median(bases.map((m) => m.rps))),
    constant_p99_ms: median(bases.map((m) => m.p99)),
    server_cpu_us_per_request: perRequest(runs, (m) => m.cpuUs),
    event_loop_thread_cpu_us_per_request: perRequest(runs, (m) => m.mainCpuUs),
    constant_event_loop_thread_cpu_us_per_request: perRequest(bases, (m) => m.mainCpuUs),
    // The event loop's CPU per request bounds a single-loop server's requests/s, and time stolen by
    // the hypervisor does not inflate it: the steadier figure when the ratio of requests/s swings.
    ratio_event_loop_cpu_constant_vs_scenario: cpuRatio(runs, bases),
    // Why requests/s can fall below that ratio: time the event loop was ready but had no core.
    event_loop_thread_waiting_share: waitShare(runs),
    constant_event_loop_thread_waiting_share: waitShare(bases),
    event_loop_us_per_request: perRequest(runs, (m) => m.loopUs),
    non_2xx: sum(runs, (m) => m.non2xx),
    errors: sum(runs, (m) => m.errors),
    connections,
    rounds: runs.length,
    duration_s: runs.length * SLICE_S,
  };
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  const results: ReturnType<typeof summarize>[] = [];
  let shadow: Awaited<ReturnType<typeof runShadowPair>> | null = null;
  /** Every constant-route slice of the run: how far the machine's own speed moved meanwhile. */
  const constantRps: number[] = [];
  const report = (line: ReturnType<typeof summarize>) => {
    results.push(line);
    console.log(JSON.stringify(line));
  };
  try {
    await load(server.url, constant, 2); // warm-up: JIT, sockets
    const ceiling: Measured[] = [];
    for (let i = 0; i < ROUNDS; i++) ceiling.push(await slice(server.url, constant, SLICE_S));
    report(summarize(constant.name, ceiling, ceiling));
    constantRps.push(...ceiling.map((m) => m.rps));
    for (const s of scenarios.filter((x) => chosen(x.name))) {
      if (s.weight !== undefined) await send(server.url, 'PUT', '/v1/models/churn/traffic', { canary_weight: s.weight });
      if (s.canaryDelayMs !== undefined) await send(server.url, 'POST', '/v1/models/churn/faults', { variant: 'canary', delay_ms: s.canaryDelayMs });
      try {
        await load(server.url, s, 2); // warm-up: JIT, onnxruntime arenas, the canary's first batches
        // The ceiling is measured again around each slice: on a shared machine it drifts by tens
        // of percent within minutes, and a ratio to a stale ceiling would measure the drift.
        const runs: Measured[] = [];
        const bases: Measured[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          if (i % 2 === 0) {
            bases.push(await slice(server.url, constant, SLICE_S, s.connections));
            runs.push(await slice(server.url, s, SLICE_S));
          } else {
            runs.push(await slice(server.url, s, SLICE_S));
            bases.push(await slice(server.url, constant, SLICE_S, s.connections));
          }
        }
        report(summarize(s.name, runs, bases, s.connections));
        constantRps.push(...bases.map((m) => m.rps));
      } finally {
        if (s.canaryDelayMs !== undefined) await send(server.url, 'POST', '/v1/models/churn/faults', { clear: true });
      }
    }
    if (chosen('shadow')) {
      const stableOnly: Scenario = { name: 'predict, stable only', path: PREDICT, body: single };
      shadow = await runShadowPair(server.url, (seconds) => slice(server.url, stableOnly, seconds), { rounds: ROUNDS, sliceS: SLICE_S });
      console.log(JSON.stringify(shadow));
    }
  } finally {
    await server.stop();
  }
  // The gateway scenario needs processes of its own (an upstream, coalmine in front, nginx).
  const gateway = chosen('gateway') ? await runGatewayBench() : null;
  if (gateway) console.log(JSON.stringify(gateway));
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const machine = { constant_requests_per_s_min: Math.round(Math.min(...constantRps)), constant_requests_per_s_max: Math.round(Math.max(...constantRps)) };
  writeFileSync(join(out, 'latest.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, machine, results, shadow, gateway }, null, 2));
  const summary = results.find((r) => r.scenario === 'predict, canary 20%');
  if (summary) {
    console.log(
      `predict at canary 20%: ${summary.ratio_rps_vs_constant}× the constant route's requests/s (target ≥ 0.7; by round ${summary.ratio_rps_by_round.join(', ')}), p99 ${summary.ratio_p99_vs_constant}× (target ≤ 2); event-loop CPU per request, constant ÷ predict: ${summary.ratio_event_loop_cpu_constant_vs_scenario ?? 'n/a'}`,
    );
  }
  if (shadow) console.log(shadowSummary(shadow));
  if (gateway) console.log(gatewaySummary(gateway));
  // Pairing cancels drift between minutes, not a machine that changes speed within a slice pair.
  if (machine.constant_requests_per_s_max > UNSTEADY * Math.max(1, machine.constant_requests_per_s_min)) {
    console.error(
      `the constant route ran at ${machine.constant_requests_per_s_min}-${machine.constant_requests_per_s_max} requests/s during this run (more than ${UNSTEADY}× apart): the machine's speed moved under the benchmark, so read its ratios with care and run it again when the machine is quieter`,
    );
  }
  const bad = [...results.filter((r) => r.non_2xx > 0 || r.errors > 0).map((r) => r.scenario), ...(gateway && gateway.errors > 0 ? ['gateway'] : []), ...(shadow && (shadow.errors > 0 || shadow.non_2xx > 0) ? ['shadow'] : [])];
  if (bad.length > 0) {
    console.error(`benchmark saw failed requests in: ${bad.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
