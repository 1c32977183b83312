/**
 * The server under benchmark: the real app on the example models, plus a constant route that
 * is the ceiling every scenario is compared with (same process, same Fastify, no model work).
 *
 * It runs the built code in dist/, as `coalmine serve` does: tsx's transform adds a name-keeping
 * call to every inner function, which costs a visible share of a prediction and is not what
 * users run. The bench scripts build first.
 */
import type * as AppModule from '../src/app/index.js';
import { CONSTANT_REPLY } from './constant-reply.js';

const dist = new URL('../dist/app/index.js', import.meta.url).href;
const { createApp, ensureExampleModels } = (await import(dist)) as typeof AppModule;

const [dataDir, port, upstream] = process.argv.slice(2);
const app = await createApp({ dataDir: dataDir!, port: Number(port), host: '127.0.0.1', logLevel: 'warn' });
// With an upstream URL this is a gateway: model "churn" is served by that Open Inference Protocol server.
if (upstream) await app.registry.registerUpstream('churn', { url: `${upstream}/v2/models/churn`, hints: {} }, { description: 'bench upstream' });
else await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);

// Open, as the predict routes are: no admin-only hooks.
app.http.post('/bench/constant', { config: { access: 'open' } }, async () => CONSTANT_REPLY);
// Resident memory of this process, for the memory benchmark.
app.http.get('/bench/rss', async () => ({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed }));
// Event-loop busy time so far (the bench reads CPU times from /proc, the same way for every server).
app.http.get('/bench/cpu', async () => ({ loop_busy_ms: performance.eventLoopUtilization().active }));

const url = await app.listen();
process.stdout.write(`ready ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
