/**
 * `npm run bench`: throughput, CPU and latency of the serving path, each as a ratio to two
 * baselines measured in the same minute, so figures compare across machines and a noisy
 * neighbour slows both sides of a ratio alike:
 * - a bare Fastify process (bench/bare-fastify.ts: the same Fastify and JSON body parsing, none
 *   of coalmine), the honest ceiling: what any Node.js server on this machine could do;
 * - the constant route inside coalmine's own server (its hooks, its Fastify options, no model):
 *   what a prediction costs over coalmine's own HTTP layer.
 * The load comes from wrk when it is installed (C, a few µs of CPU per request), else autocannon,
 * which is labelled. Each scenario rotates with both baselines over several rounds (a different
 * order each round) and reports the median of the paired ratios, so one slice hit by a
 * neighbour's burst does not decide the figure. Prints one JSON line per scenario and writes them
 * all to bench/results/latest.json. See docs/benchmarks.md for how to read them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { churnRows } from '../src/examples/index.js';
import { startBenchServer, startScript, type BenchServer } from './bench-process.js';
import { cpuSeconds, mainThreadSchedstat } from './proc-stats.js';
import { gatewaySummary, runGatewayBench } from './gateway-bench.js';
import { loadGenerator, type LoadResult } from './load.js';
import { runShadowPair, shadowSummary } from './shadow-bench.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 9);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const SLICE_S = Math.max(1, Math.round(DURATION_S / ROUNDS));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SHADOW_ROUNDS = Math.max(1, Number(process.env.BENCH_SHADOW_ROUNDS ?? 30));
const SHADOW_SLICE_S = Math.max(1, Number(process.env.BENCH_SHADOW_SLICE ?? 1));
/** Runs only the scenarios whose name holds this text ("shadow", "gateway", "sticky"…); the constant ceiling always runs. */
const ONLY = process.env.BENCH_ONLY?.toLowerCase() ?? null;
const chosen = (name: string) => ONLY === null || name.toLowerCase().includes(ONLY);
/** BENCH_EXACT=1: BENCH_ONLY names one scenario exactly. */
const EXACT = process.env.BENCH_EXACT === '1';
/** Bare Fastify slices further apart than this factor mean the machine, not coalmine, moved. */
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

const generator = loadGenerator();

/** A server under load: coalmine's (which also reports its event loop's busy time) or the bare Fastify baseline. */
interface Target {
  readonly url: string;
  readonly pid: number;
  readonly coalmine: boolean;
}

function load(t: Target, s: Scenario, seconds: number, connections = s.connections ?? CONNECTIONS): Promise<LoadResult> {
  return generator.run({ key: s.name, url: t.url, path: s.path, body: s.body }, seconds, connections);
}

/** The server's CPU so far, read from /proc (Linux) the same way for both servers; nulls elsewhere. */
interface Usage {
  /** All its threads, the prediction-log writer and V8's helpers included (µs). */
  readonly cpuUs: number | null;
  /** The event loop's thread alone: CPU, and time ready to run but without a core (µs). */
  readonly mainCpuUs: number | null;
  readonly mainWaitUs: number | null;
  /** Event-loop busy time (coalmine only: it reports it at /bench/cpu). */
  readonly loopBusyMs: number | null;
}

async function usage(t: Target): Promise<Usage> {
  const main = mainThreadSchedstat(t.pid);
  const loopBusyMs = t.coalmine ? ((await (await fetch(`${t.url}/bench/cpu`)).json()) as { loop_busy_ms: number }).loop_busy_ms : null;
  const cpu = cpuSeconds(t.pid);
  return { cpuUs: cpu > 0 ? cpu * 1e6 : null, mainCpuUs: main?.runUs ?? null, mainWaitUs: main?.waitUs ?? null, loopBusyMs };
}

async function send(url: string, method: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
}

type Measured = Awaited<ReturnType<typeof slice>>;

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);

/** One slice of measured load, with the server's CPU and event-loop time per request. */
async function slice(t: Target, s: Scenario, seconds: number, connections?: number) {
  const before = await usage(t);
  const r = await load(t, s, seconds, connections);
  const after = await usage(t);
  return {
    rps: r.rps,
    p50: r.p50,
    p99: r.p99,
    requests: r.requests,
    cpuUs: delta(before.cpuUs, after.cpuUs),
    mainCpuUs: delta(before.mainCpuUs, after.mainCpuUs),
    mainWaitUs: delta(before.mainWaitUs, after.mainWaitUs),
    seconds,
    loopUs: before.loopBusyMs === null || after.loopBusyMs === null ? null : (after.loopBusyMs - before.loopBusyMs) * 1000,
    non2xx: r.non2xx,
    errors: r.errors,
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

/** Median over the paired rounds of (the baseline's CPU per request) / (the scenario's), by `cpu` (the event loop's thread, or the whole process). */
function cpuRatio(runs: readonly Measured[], bases: readonly Measured[], cpu: (m: Measured) => number | null = (m) => m.mainCpuUs): number | null {
  const ratios: number[] = [];
  for (let i = 0; i < runs.length; i++) {
    const run = runs[i]!;
    const base = bases[i]!;
    const r = cpu(run);
    const b = cpu(base);
    if (r === null || b === null || run.requests === 0 || base.requests === 0) return null;
    ratios.push(b / base.requests / (r / run.requests));
  }
  return round3(median(ratios));
}

/** Share of the slices' wall time the event loop's thread spent ready to run but without a core. */
function waitShare(xs: readonly Measured[]): number | null {
  if (xs.some((m) => m.mainWaitUs === null)) return null;
  const wall = xs.reduce((a, m) => a + m.seconds * 1e6, 0);
  return round3(xs.reduce((a, m) => a + m.mainWaitUs!, 0) / wall);
}

/**
 * The figures of a scenario over its slices, each ratio the median of the paired slices' ratios:
 * against the bare Fastify process (`bare`) and against coalmine's constant route (`bases`).
 */
function summarize(name: string, runs: readonly Measured[], bases: readonly Measured[], bare: readonly Measured[], connections = CONNECTIONS) {
  const sum = (xs: readonly Measured[], f: (m: Measured) => number) => xs.reduce((a, m) => a + f(m), 0);
  return {
    scenario: name,
    load_generator: generator.name,
    requests_per_s: Math.round(median(runs.map((m) => m.rps))),
    p50_ms: median(runs.map((m) => m.p50)),
    p99_ms: median(runs.map((m) => m.p99)),
    // Against a bare Fastify process: what coalmine costs over any Node.js server.
    ratio_rps_vs_bare_fastify: round3(median(runs.map((m, i) => m.rps / bare[i]!.rps))),
    ratio_rps_vs_bare_fastify_by_round: runs.map((m, i) => round3(m.rps / bare[i]!.rps)),
    // Server CPU (all threads) per request, bare Fastify's over the scenario's: the steadier figure.
    ratio_cpu_bare_fastify_vs_scenario: cpuRatio(runs, bare, (m) => m.cpuUs),
    ratio_p99_vs_bare_fastify: round3(median(runs.map((m, i) => m.p99 / Math.max(bare[i]!.p99, 0.001)))),
    bare_fastify_requests_per_s: Math.round(median(bare.map((m) => m.rps))),
    bare_fastify_p99_ms: median(bare.map((m) => m.p99)),
    bare_fastify_cpu_us_per_request: perRequest(bare, (m) => m.cpuUs),
    // Against the constant route of coalmine's own server: what a prediction costs over its HTTP layer.
    ratio_rps_vs_constant: round3(median(runs.map((m, i) => m.rps / bases[i]!.rps))),
    ratio_p99_vs_constant: round3(median(runs.map((m, i) => m.p99 / Math.max(bases[i]!.p99, 0.001)))),
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

/** Round i's order of the three slices: each slice leads, trails and sits in the middle in turn, so none always gets the warmer minute. */
const ORDERS = [
  ['bare', 'constant', 'scenario'],
  ['scenario', 'constant', 'bare'],
  ['constant', 'scenario', 'bare'],
  ['bare', 'scenario', 'constant'],
] as const;

async function main(): Promise<void> {
  const coalmine = await startBenchServer();
  let bareServer: BenchServer | null = null;
  const results: ReturnType<typeof summarize>[] = [];
  let shadow: Awaited<ReturnType<typeof runShadowPair>> | null = null;
  /** Every bare Fastify slice of the run: how far the machine's own speed moved meanwhile. */
  const bareRps: number[] = [];
  const report = (line: ReturnType<typeof summarize>) => {
    results.push(line);
    console.log(JSON.stringify(line));
  };
  console.error(`load: ${generator.name}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SLICE_S} s slices per scenario`);
  try {
    bareServer = await startScript('bare-fastify.ts', [String(40_000 + Math.floor(Math.random() * 10_000))]);
    const server: Target = { url: coalmine.url, pid: coalmine.pid, coalmine: true };
    const bare: Target = { url: bareServer.url, pid: bareServer.pid, coalmine: false };
    await load(server, constant, 2); // warm-up: JIT, sockets
    await load(bare, constant, 2);
    const measureScenario = async (s: Scenario) => {
      const runs: Measured[] = [];
      const bases: Measured[] = [];
      const bareRuns: Measured[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        for (const which of ORDERS[i % ORDERS.length]!) {
          // The bare server answers the scenario's own requests: the same bodies, parsed the same way.
          if (which === 'bare') bareRuns.push(await slice(bare, s, SLICE_S, s.connections));
          else if (which === 'constant') bases.push(await slice(server, constant, SLICE_S, s.connections));
          else if (s !== constant) runs.push(await slice(server, s, SLICE_S));
        }
      }
      bareRps.push(...bareRuns.map((m) => m.rps));
      // The constant route's own line: its slices against themselves, and against bare Fastify.
      return summarize(s.name, s === constant ? bases : runs, bases, bareRuns, s.connections);
    };
    report(await measureScenario(constant));
    for (const s of scenarios.filter((x) => (EXACT ? x.name.toLowerCase() === ONLY : chosen(x.name)))) {
      if (s.weight !== undefined) await send(server.url, 'PUT', '/v1/models/churn/traffic', { canary_weight: s.weight });
      if (s.canaryDelayMs !== undefined) await send(server.url, 'POST', '/v1/models/churn/faults', { variant: 'canary', delay_ms: s.canaryDelayMs });
      try {
        await load(server, s, 2); // warm-up: JIT, onnxruntime arenas, the canary's first batches
        // The baselines are measured again around each slice: on a shared machine they drift by
        // tens of percent within minutes, and a ratio to a stale baseline would measure the drift.
        report(await measureScenario(s));
      } finally {
        if (s.canaryDelayMs !== undefined) await send(server.url, 'POST', '/v1/models/churn/faults', { clear: true });
      }
    }
    if (chosen('shadow')) {
      const stableOnly: Scenario = { name: 'predict, stable only', path: PREDICT, body: single };
      // Many short rounds: the shadow's figure is a 5% question on a machine whose paired slices
      // swing by 20-40%, and 30 pairs a second apart cancel more of the drift than 10 three seconds apart.
      shadow = await runShadowPair(server.url, (seconds) => slice(server, stableOnly, seconds), { rounds: SHADOW_ROUNDS, sliceS: SHADOW_SLICE_S });
      console.log(JSON.stringify(shadow));
    }
  } finally {
    await coalmine.stop();
    await bareServer?.stop();
    generator.close();
  }
  // The gateway scenario needs processes of its own (an upstream, coalmine in front, nginx).
  const gateway = chosen('gateway') ? await runGatewayBench() : null;
  if (gateway) console.log(JSON.stringify(gateway));
  const out = join(here, 'results');
  mkdirSync(out, { recursive: true });
  const machine = { bare_fastify_requests_per_s_min: Math.round(Math.min(...bareRps)), bare_fastify_requests_per_s_max: Math.round(Math.max(...bareRps)) };
  writeFileSync(join(out, 'latest.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, load_generator: generator.name, machine, results, shadow, gateway }, null, 2));
  const summary = results.find((r) => r.scenario === 'predict, canary 20%');
  if (summary) {
    console.log(
      `predict at canary 20% against a bare Fastify process (load: ${generator.name}): server CPU per request, bare ÷ coalmine ${summary.ratio_cpu_bare_fastify_vs_scenario ?? 'n/a'} (target ≥ 0.7; ${summary.bare_fastify_cpu_us_per_request ?? '?'} against ${summary.server_cpu_us_per_request ?? '?'} µs), ` +
        `paired requests/s ${summary.ratio_rps_vs_bare_fastify} (target ≥ 0.7; by round ${summary.ratio_rps_vs_bare_fastify_by_round.join(', ')}), p99 ${summary.ratio_p99_vs_bare_fastify}× (target ≤ 1.5)`,
    );
    console.log(
      `predict at canary 20% against coalmine's constant route: ${summary.ratio_rps_vs_constant}× its requests/s (by round ${summary.ratio_rps_by_round.join(', ')}), p99 ${summary.ratio_p99_vs_constant}×; event-loop CPU per request, constant ÷ predict: ${summary.ratio_event_loop_cpu_constant_vs_scenario ?? 'n/a'}`,
    );
  }
  if (shadow) console.log(shadowSummary(shadow));
  if (gateway) console.log(gatewaySummary(gateway));
  // Pairing cancels drift between minutes, not a machine that changes speed within a slice pair.
  if (bareRps.length > 0 && machine.bare_fastify_requests_per_s_max > UNSTEADY * Math.max(1, machine.bare_fastify_requests_per_s_min)) {
    console.error(
      `bare Fastify ran at ${machine.bare_fastify_requests_per_s_min}-${machine.bare_fastify_requests_per_s_max} requests/s during this run (more than ${UNSTEADY}× apart): the machine's speed moved under the benchmark, so read its ratios with care and run it again when the machine is quieter`,
    );
  }
  const bad = [...results.filter((r) => r.non_2xx > 0 || r.errors > 0).map((r) => r.scenario), ...(gateway && gateway.errors > 0 ? ['gateway'] : []), ...(shadow && (shadow.errors > 0 || shadow.non_2xx > 0) ? ['shadow'] : [])];
  if (bad.length > 0) {
    console.error(`benchmark saw failed requests in: ${bad.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
