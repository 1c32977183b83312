/**
 * The gateway scenario of `npm run bench` (alone: `npm run bench:gateway`): coalmine in front of a
 * fast Open Inference Protocol upstream (coalmine itself serving the example model over /v2),
 * against Debian's nginx with proxy_pass and keep-alive to the same upstream, against the floor of
 * any Node.js gateway (bench/node-proxy.ts: node:http and undici passing bodies through), and the
 * upstream called directly, in the same run. All four take the identical request on the identical path.
 *
 * - Throughput and CPU: slices of wrk (autocannon where wrk is missing: bench/load.ts) rotated over
 *   the four paths (each round in another order), the CPU each proxy spends per request read from
 *   /proc (coalmine's whole process; the Node floor's; nginx's workers), and requests/s.
 * - Added latency at light load: one sequential keep-alive client times requests with
 *   performance.now(), interleaving the paths request by request so a drift of the machine hits
 *   all of them alike.
 */
import { Agent, request } from 'undici';
import { churnRows } from '../src/examples/index.js';
import { nginxBinary, startNginx, type RunningNginx } from '../src/test-support/nginx.js';
import { startBenchServer, startScript, type BenchServer } from './bench-process.js';
import { loadGenerator, type LoadGenerator } from './load.js';
import { cpuSeconds } from './proc-stats.js';

const SLICE_S = Math.max(1, Number(process.env.BENCH_GATEWAY_SLICE ?? 3));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const LATENCY_SAMPLES = Number(process.env.BENCH_GATEWAY_SAMPLES ?? 3000);
const PATH = '/v2/models/churn/infer';

const rows = churnRows(5000, 99).map((r) => r.features);
let cursor = 0;
const body = () => JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: rows[cursor++ % rows.length] }] });

/** bench/node-proxy.ts in its own process, in front of `upstream`. */
function startNodeProxy(upstream: string): Promise<BenchServer> {
  return startScript('node-proxy.ts', [upstream, String(40_000 + Math.floor(Math.random() * 10_000))]);
}

type PathName = 'direct' | 'nginx' | 'node_floor' | 'coalmine';

interface Target {
  readonly name: PathName;
  readonly url: string;
  /** The proxy's processes whose CPU is its cost (none for the direct path). */
  readonly pids: readonly number[];
}

interface Slice {
  readonly rps: number;
  readonly requests: number;
  readonly p99: number;
  readonly cpuS: number;
  readonly errors: number;
}

async function slice(load: LoadGenerator, t: Target, seconds: number): Promise<Slice> {
  const cpu = () => t.pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const before = cpu();
  const r = await load.run({ key: 'gateway', url: t.url, path: PATH, body }, seconds, CONNECTIONS);
  return { rps: r.rps, requests: r.requests, p99: r.p99, cpuS: cpu() - before, errors: r.errors + r.non2xx };
}

/** Sequential timed requests, the paths interleaved request by request. */
async function latencies(targets: readonly Target[]): Promise<Record<string, number[]>> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 30_000 });
  const out: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  try {
    for (let i = 0; i < LATENCY_SAMPLES + 200; i++) {
      for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
        const started = performance.now();
        const res = await request(t.url + PATH, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(), dispatcher: agent });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`${t.name} answered ${res.statusCode}`);
        if (i >= 200) out[t.name]!.push(performance.now() - started); // the first 200: warm-up
      }
    }
  } finally {
    await agent.close();
  }
  return out;
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: readonly number[]) => quantile(xs, 0.5);
const r3 = (x: number) => Number(x.toFixed(3));

export interface GatewayResult {
  readonly scenario: 'gateway';
  readonly load_generator: string;
  readonly upstream: string;
  readonly paths: Record<string, { requests_per_s: number; p99_ms: number; cpu_us_per_request: number | null; light_load_p50_ms: number; light_load_p99_ms: number }>;
  readonly coalmine_added_p50_ms: number;
  readonly nginx_added_p50_ms: number;
  readonly node_floor_added_p50_ms: number;
  readonly ratio_cpu_coalmine_vs_nginx: number;
  /** What any Node.js gateway pays against nginx: the part of the ratio above that is not coalmine's work. */
  readonly ratio_cpu_node_floor_vs_nginx: number;
  /** coalmine's CPU per request over the Node floor's: what coalmine's own work costs on top. */
  readonly ratio_cpu_coalmine_vs_node_floor: number;
  readonly errors: number;
}

/** Runs the gateway scenario; null (with the reason on stderr) when nginx is not installed. */
export async function runGatewayBench(): Promise<GatewayResult | null> {
  if (!nginxBinary()) {
    console.error('gateway scenario skipped: nginx is not installed (Debian: apt-get install nginx-light)');
    return null;
  }
  let upstream: BenchServer | undefined;
  let gateway: BenchServer | undefined;
  let nginx: RunningNginx | undefined;
  let floor: BenchServer | undefined;
  const load = loadGenerator();
  try {
    upstream = await startBenchServer();
    await fetch(`${upstream.url}/v1/models/churn/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ canary_weight: 0 }) });
    gateway = await startBenchServer({ upstream: upstream.url });
    // One worker, as coalmine has one event loop; keep-alive to the upstream, as coalmine's pool has.
    nginx = await startNginx({ upstream: 'model', initial: new URL(upstream.url).host, keepalive: 64 });
    floor = await startNodeProxy(upstream.url);
    const targets: Target[] = [
      { name: 'direct', url: upstream.url, pids: [] },
      { name: 'nginx', url: nginx.url, pids: nginx.workers() },
      { name: 'node_floor', url: floor.url, pids: [floor.pid] },
      { name: 'coalmine', url: gateway.url, pids: [gateway.pid] },
    ];
    for (const t of targets) await slice(load, t, 2); // warm-up: JIT, keep-alive pools
    const slices: Record<PathName, Slice[]> = { direct: [], nginx: [], node_floor: [], coalmine: [] };
    for (let round = 0; round < ROUNDS; round++) {
      // Each round in another order, so no path always runs first or last.
      const order = [...targets.slice(round % targets.length), ...targets.slice(0, round % targets.length)];
      for (const t of order) slices[t.name]!.push(await slice(load, t, SLICE_S));
    }
    const light = await latencies(targets);
    const paths: Record<PathName, GatewayResult['paths'][string]> = {} as Record<PathName, GatewayResult['paths'][string]>;
    for (const t of targets) {
      const xs = slices[t.name]!;
      const requests = xs.reduce((a, m) => a + m.requests, 0);
      paths[t.name] = {
        requests_per_s: Math.round(median(xs.map((m) => m.rps))),
        p99_ms: median(xs.map((m) => m.p99)),
        cpu_us_per_request: t.pids.length === 0 ? null : Number(((xs.reduce((a, m) => a + m.cpuS, 0) * 1e6) / Math.max(1, requests)).toFixed(1)),
        light_load_p50_ms: r3(median(light[t.name]!)),
        light_load_p99_ms: r3(quantile(light[t.name]!, 0.99)),
      };
    }
    return {
      scenario: 'gateway',
      load_generator: load.name,
      upstream: 'coalmine serving the example model over /v2 (its own process)',
      paths,
      coalmine_added_p50_ms: r3(paths.coalmine.light_load_p50_ms - paths.direct.light_load_p50_ms),
      nginx_added_p50_ms: r3(paths.nginx.light_load_p50_ms - paths.direct.light_load_p50_ms),
      node_floor_added_p50_ms: r3(paths.node_floor.light_load_p50_ms - paths.direct.light_load_p50_ms),
      ratio_cpu_coalmine_vs_nginx: r3(paths.coalmine.cpu_us_per_request! / Math.max(0.1, paths.nginx.cpu_us_per_request!)),
      ratio_cpu_node_floor_vs_nginx: r3(paths.node_floor.cpu_us_per_request! / Math.max(0.1, paths.nginx.cpu_us_per_request!)),
      ratio_cpu_coalmine_vs_node_floor: r3(paths.coalmine.cpu_us_per_request! / Math.max(0.1, paths.node_floor.cpu_us_per_request!)),
      errors: Object.values(slices).flat().reduce((a, m) => a + m.errors, 0),
    };
  } finally {
    load.close();
    await floor?.stop();
    await nginx?.stop();
    await gateway?.stop();
    await upstream?.stop();
  }
}

/** The line a reader checks against the targets. */
export function gatewaySummary(g: GatewayResult): string {
  const p = g.paths;
  return (
    `gateway: coalmine adds ${g.coalmine_added_p50_ms} ms at p50 over the direct path (target ≤ 0.3; nginx adds ${g.nginx_added_p50_ms}, the Node floor ${g.node_floor_added_p50_ms}), ` +
    `and spends ${g.ratio_cpu_coalmine_vs_nginx}× nginx's CPU per request (target ≤ 2: ${p.coalmine!.cpu_us_per_request} µs against ${p.nginx!.cpu_us_per_request} µs). ` +
    `A bare Node.js proxy (node:http + undici, no parsing) spends ${g.ratio_cpu_node_floor_vs_nginx}× nginx's (${p.node_floor!.cpu_us_per_request} µs): that much is Node's, ` +
    `and coalmine's own work costs ${g.ratio_cpu_coalmine_vs_node_floor}× the floor`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const g = await runGatewayBench();
  if (g) {
    console.log(JSON.stringify(g));
    console.log(gatewaySummary(g));
    if (g.errors > 0) process.exitCode = 1;
  }
}
