/**
 * The server under benchmark: the real app on the example models, plus a constant route that
 * is the ceiling every scenario is compared with (same process, same Fastify, no model work).
 */
import { createApp, ensureExampleModels } from '../src/app/index.js';

const [dataDir, port] = process.argv.slice(2);
const app = await createApp({ dataDir: dataDir!, port: Number(port), host: '127.0.0.1', logLevel: 'warn' });
await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);

const constant = {
  request_id: '00000000-0000-4000-8000-000000000000',
  model: 'churn',
  version: 1,
  variant: 'stable',
  prediction: 1,
  probability: 0.87,
  latency_ms: 0.01,
};
app.http.post('/bench/constant', async () => constant);
// Resident memory of this process, for the memory benchmark.
app.http.get('/bench/rss', async () => ({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed }));

const url = await app.listen();
process.stdout.write(`ready ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
