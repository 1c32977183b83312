/**
 * `npm run bench:memory`: 1,000,000 predictions (canary 20%, labelled, telemetry and the prediction
 * log on) against a server in its own process; prints its resident memory after a warm-up of
 * 100,000 and at the end. Target: growth under 50 MB.
 */
import autocannon from 'autocannon';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { churnRows } from '../src/examples/index.js';
import { startBenchServer } from './bench-process.js';

const TOTAL = Number(process.env.BENCH_PREDICTIONS ?? 1_000_000);
const WARMUP = Math.min(100_000, Math.floor(TOTAL / 10));
const here = fileURLToPath(new URL('.', import.meta.url));
const rows = churnRows(10_000, 4243);
let i = 0;

async function rss(url: string): Promise<number> {
  const r = (await (await fetch(`${url}/bench/rss`)).json()) as { rss: number };
  return r.rss;
}

async function drive(url: string, amount: number) {
  return autocannon({
    url: `${url}/predict`,
    method: 'POST',
    connections: 32,
    amount,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => { const r = rows[i++ % rows.length]!; return { ...req, body: JSON.stringify({ features: r.features, label: r.label }) }; } }],
  });
}

const server = await startBenchServer();
const url = server.url;
try {
  const started = Date.now();
  const warm = await drive(url, WARMUP);
  const rssStart = await rss(url);
  const samples = [rssStart];
  let done = WARMUP;
  let non2xx = warm.non2xx;
  while (done < TOTAL) {
    const step = Math.min(100_000, TOTAL - done);
    const r = await drive(url, step);
    non2xx += r.non2xx + r.errors;
    done += step;
    samples.push(await rss(url));
  }
  const rssEnd = samples[samples.length - 1]!;
  const result = {
    predictions: TOTAL,
    warmup: WARMUP,
    rss_after_warmup_mb: Math.round(rssStart / 1e6),
    rss_end_mb: Math.round(rssEnd / 1e6),
    rss_max_mb: Math.round(Math.max(...samples) / 1e6),
    growth_mb: Math.round((rssEnd - rssStart) / 1e6),
    rss_samples_mb: samples.map((s) => Math.round(s / 1e6)),
    non_2xx: non2xx,
    seconds: Math.round((Date.now() - started) / 1000),
    target: 'growth under 50 MB',
    met: rssEnd - rssStart < 50e6 && non2xx === 0,
  };
  console.log(JSON.stringify(result));
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'memory-latest.json'), JSON.stringify(result, null, 2));
  if (!result.met) process.exitCode = 1;
} finally {
  await server.stop();
}
