/**
 * `npm run soak [-- <seconds>]`: drives a real `coalmine serve` process at a steady load while
 * weights change, rollouts advance and faults flip, then prints requests, non-2xx replies, p99
 * latency and resident memory over time. Exits non-zero when a valid request failed or memory
 * kept growing. Every request it sends is valid, so every non-2xx is a defect.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { churnRows } from '../src/examples/index.js';
import { freePort } from '../src/test-support/server-process.js';

export interface SoakOptions {
  readonly durationS: number;
  readonly connections?: number;
  readonly log?: (line: string) => void;
}

export interface SoakResult {
  readonly requests: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  readonly timeouts: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly rssMb: { readonly start: number; readonly end: number; readonly peak: number; readonly samples: number[] };
  readonly operations: Record<string, number>;
  readonly failedOperations: string[];
}

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function startServer(dataDir: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--examples', '--data-dir', dataDir, '--port', String(port)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, COALMINE_LOG_LEVEL: 'warn' },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become ready');
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-soak-'));
  const { url, child } = await startServer(dataDir, await freePort());
  const pid = child.pid!;
  const operations: Record<string, number> = {};
  const failedOperations: string[] = [];
  const count = (name: string) => (operations[name] = (operations[name] ?? 0) + 1);
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown> | undefined> => {
    const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) {
      failedOperations.push(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
      return undefined;
    }
    return json;
  };

  // Valid requests only: single rows with labels and sticky keys, and small batches.
  const rows = churnRows(5000, 99);
  let cursor = 0;
  const body = () => {
    const i = cursor++;
    if (i % 10 === 0) return JSON.stringify({ features: [rows[i % rows.length]!.features, rows[(i + 1) % rows.length]!.features] });
    const r = rows[i % rows.length]!;
    // Sticky keys from a large population: a few thousand heavy users would skew the split by
    // hashing luck, and the sample-ratio check would rightly pause the rollout.
    return JSON.stringify({ features: r.features, label: r.label, ...(i % 4 === 0 ? { key: `user-${i % 100_000}` } : {}) });
  };

  // Warm up, then measure memory from a steady start.
  await autocannon({ url: `${url}/v1/models/churn/predict`, method: 'POST', connections: 8, duration: 2, headers: { 'content-type': 'application/json' }, requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }] });
  const samples = [rssMb(pid)];
  const start = samples[0]!;
  log(`server pid ${pid}, resident ${start} MB after warm-up; ${o.durationS} s of load with ${o.connections ?? 16} connections`);

  let running = true;
  const sampler = setInterval(() => samples.push(rssMb(pid)), 1000);
  // The chaos: one operation a second, cycling through weights, faults and rollouts.
  const chaos = (async () => {
    const m = '/v1/models/churn';
    let tick = 0;
    while (running) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!running) break;
      tick++;
      const rollout = await fetch(`${url}${m}/rollout`).then((r) => (r.ok ? (r.json() as Promise<{ phase: string }>) : null));
      const active = rollout !== null && ['pending', 'progressing', 'paused', 'promoting'].includes(rollout.phase);
      const faultStep = tick % 6;
      if (faultStep === 1 && (await call('POST', `${m}/faults`, { variant: 'canary', delay_ms: [2, 6] }))) count('fault: canary +2–6 ms');
      if (faultStep === 3 && (await call('POST', `${m}/faults`, { variant: 'canary', errors: 0.05 }))) count('fault: canary 5% errors (stable answers)');
      if (faultStep === 5 && (await call('POST', `${m}/faults`, { clear: true }))) count('fault: cleared');
      if (active) {
        if (rollout.phase === 'paused' && (await call('POST', `${m}/rollout/resume`))) count('rollout: resumed');
        continue;
      }
      const model = (await fetch(url + m).then((r) => r.json())) as { stable_version: number; canary_version: number | null };
      if (tick % 8 < 4) {
        const weight = [5, 20, 50, 10][tick % 4]!;
        if (model.canary_version === null) {
          if (await call('POST', `${m}/deploy`, { version: model.stable_version === 1 ? 2 : 1, weight })) count('deploy');
        } else if (await call('PUT', `${m}/traffic`, { canary_weight: weight })) count('weight change');
      } else {
        const canary = model.stable_version === 1 ? 2 : 1;
        const spec = { canary, steps: [10, 25, 50], interval: '1s', bake: '1s', minSamples: 20, analysis: [{ metric: 'latency', critical: false, judge: { judge: 'threshold', statistic: 'p99', max: 250, minSamples: 20 } }] };
        if (await call('POST', `${m}/rollout`, spec)) count('rollout: started');
      }
    }
  })();

  const result = await autocannon({
    url: `${url}/v1/models/churn/predict`,
    method: 'POST',
    connections: o.connections ?? 16,
    duration: o.durationS,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: body() }) }],
  });
  running = false;
  await chaos;
  clearInterval(sampler);
  samples.push(rssMb(pid));
  const past = (await fetch(`${url}/v1/models/churn/rollouts`).then((x) => x.json())) as { rollouts: { phase: string }[] };
  for (const r of past.rollouts) count(`rollout ${r.phase}`);
  const end = samples.at(-1)!;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  rmSync(dataDir, { recursive: true, force: true });
  return {
    requests: result.requests.total,
    non2xx: result.non2xx,
    socketErrors: result.errors,
    timeouts: result.timeouts,
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    rssMb: { start, end, peak: Math.max(...samples), samples },
    operations,
    failedOperations,
  };
}

async function main(): Promise<void> {
  const durationS = Number(process.argv[2] ?? process.env.SOAK_DURATION ?? 60);
  const r = await runSoak({ durationS, log: (l) => console.log(l) });
  console.log(
    [
      '',
      `requests        ${r.requests} (${r.rps}/s)`,
      `non-2xx         ${r.non2xx}   socket errors ${r.socketErrors}   timeouts ${r.timeouts}`,
      `latency         p50 ${r.p50Ms} ms   p99 ${r.p99Ms} ms   max ${r.maxMs} ms`,
      `resident memory start ${r.rssMb.start} MB   end ${r.rssMb.end} MB   peak ${r.rssMb.peak} MB`,
      `memory by 10 s  ${r.rssMb.samples.filter((_, i) => i % 10 === 0).join(' → ')} MB`,
      `operations      ${Object.entries(r.operations).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
      ...(r.failedOperations.length > 0 ? [`refused operations (expected when a change races the controller):`, ...r.failedOperations.slice(0, 10).map((f) => `  ${f}`)] : []),
    ].join('\n'),
  );
  // Memory is flat when the second half grows less than 10% over the first half's peak.
  const half = r.rssMb.samples.slice(0, Math.ceil(r.rssMb.samples.length / 2));
  const growing = r.rssMb.end > Math.max(...half) * 1.1 + 16;
  const failed = r.non2xx > 0 || r.socketErrors > 0 || r.timeouts > 0 || growing;
  console.log(failed ? `\nFAIL: ${r.non2xx + r.socketErrors + r.timeouts} failed requests${growing ? ', memory kept growing' : ''}` : '\nOK: every valid request succeeded and memory stayed flat');
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
