/**
 * `npm run bench:hotpath`: the pieces of the serving path on their own, in operations per second
 * (tinybench, same process, no HTTP): the split, a telemetry record, a latency-sketch insert, and
 * a whole prediction through the service on the real example model. Read against `npm run bench`:
 * what a prediction costs here versus over HTTP is the HTTP share of the budget.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Bench } from 'tinybench';
import type * as Analysis from '../src/analysis/index.js';
import type * as App from '../src/app/index.js';
import type * as Examples from '../src/examples/index.js';
import type * as Routing from '../src/routing/index.js';
import type * as Store from '../src/store/index.js';
import type * as TelemetryModule from '../src/telemetry/index.js';

// The built code, as `npm run bench` and `coalmine serve` run it: tsx's transform adds a
// name-keeping call to every inner function, a visible share of pieces this small.
const dist = <T>(module: string): Promise<T> => import(new URL(`../dist/${module}/index.js`, import.meta.url).href) as Promise<T>;
const { LatencySketch } = await dist<typeof Analysis>('analysis');
const { createApp, ensureExampleModels } = await dist<typeof App>('app');
const { churnRows } = await dist<typeof Examples>('examples');
const { pickVariant, seedForModel } = await dist<typeof Routing>('routing');
const { openDatabase, SqliteTelemetryStore } = await dist<typeof Store>('store');
const { Telemetry } = await dist<typeof TelemetryModule>('telemetry');

const here = fileURLToPath(new URL('.', import.meta.url));
const rows = churnRows(10_000, 4242);
let i = 0;
const next = () => rows[i++ % rows.length]!;
const seed = seedForModel('churn');

const telemetry = new Telemetry({ store: new SqliteTelemetryStore(openDatabase(':memory:', 'NORMAL')) });
const sketch = LatencySketch.create();
const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-hotpath-'));
const app = await createApp({ dataDir, port: 0 }, { logger: pino({ level: 'silent' }), scheduler: false });
await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);
await app.predictions.start();

const bench = new Bench({ time: Number(process.env.BENCH_TASK_MS ?? 1000) });
bench
  .add('split, random (canary 20%)', () => {
    pickVariant({ canaryWeightBp: 2000, seed, key: undefined, forced: undefined }, Math.random);
  })
  .add('split, sticky key (MurmurHash3)', () => {
    pickVariant({ canaryWeightBp: 2000, seed, key: `user-${i++ % 100_000}`, forced: undefined }, Math.random);
  })
  .add('latency sketch insert', () => {
    sketch.add(0.2 + (i++ % 1000) / 1000);
  })
  .add('telemetry record (one labelled row)', () => {
    const r = next();
    telemetry.record({ model: 'churn', variant: 'canary', version: 2, revision: 1, forced: false, task: 'binary_classifier', latencyMs: 0.3, error: false, predictions: [{ prediction: 1, probability: 0.8 }], labels: [r.label] });
  })
  .add('prediction through the service (route, ONNX, telemetry, log)', async () => {
    const r = next();
    await app.predictions.predict('churn', { rows: [r.features], labels: [r.label] });
  })
  // 16 requests in one event-loop turn, as under load: micro-batching scores them in one model
  // call per variant. Read its mean per 16 predictions against the single prediction above.
  .add('16 concurrent predictions through the service (micro-batched)', async () => {
    await Promise.all(Array.from({ length: 16 }, () => app.predictions.predict('churn', { rows: [next().features] })));
  })
  .add('batch of 64 through the service', async () => {
    await app.predictions.predict('churn', { rows: Array.from({ length: 64 }, () => next().features) });
  });

await bench.run();
await app.close();
rmSync(dataDir, { recursive: true, force: true });

const results = bench.tasks.map((t) => {
  const r = t.result as { throughput?: { mean: number }; latency?: { mean: number; p99: number } } | undefined;
  return { task: t.name, ops_per_s: Math.round(r?.throughput?.mean ?? 0), mean_us: Math.round((r?.latency?.mean ?? 0) * 1000 * 100) / 100, p99_us: Math.round((r?.latency?.p99 ?? 0) * 1000 * 100) / 100 };
});
for (const r of results) console.log(JSON.stringify(r));
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'hotpath.json'), JSON.stringify(results, null, 2) + '\n');
