/**
 * The server under benchmark: the real app on the example models, plus a constant route that
 * is the ceiling every scenario is compared with (same process, same Fastify, no model work).
 *
 * It runs the built code in dist/, as `coalmine serve` does: tsx's transform adds a name-keeping
 * call to every inner function, which costs a visible share of a prediction and is not what
 * users run. The bench scripts build first.
 */
import { readFileSync } from 'node:fs';
import type * as AppModule from '../src/app/index.js';

const dist = new URL('../dist/app/index.js', import.meta.url).href;
const { createApp, ensureExampleModels } = (await import(dist)) as typeof AppModule;

const [dataDir, port, upstream] = process.argv.slice(2);
const app = await createApp({ dataDir: dataDir!, port: Number(port), host: '127.0.0.1', logLevel: 'warn' });
// With an upstream URL this is a gateway: model "churn" is served by that Open Inference Protocol server.
if (upstream) await app.registry.registerUpstream('churn', { url: `${upstream}/v2/models/churn`, hints: {} }, { description: 'bench upstream' });
else await ensureExampleModels(app.registry, app.config.resetCanaryWeightBp);

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
// CPU time (all threads) and event-loop busy time so far: per-request costs that do not depend on
// how much CPU the load generator left over.
app.http.get('/bench/cpu', async () => {
  const cpu = process.cpuUsage();
  const sched = mainThreadSchedstat();
  return { cpu_us: cpu.user + cpu.system, main_cpu_us: sched?.runUs ?? null, main_wait_us: sched?.waitUs ?? null, loop_busy_ms: performance.eventLoopUtilization().active };
});

/**
 * This (the event loop's) thread alone, from Linux's scheduler statistics: its CPU time (unlike
 * process.cpuUsage() it leaves out the prediction-log writer thread, and unlike event-loop busy
 * time it leaves out time the hypervisor gave to another guest), and the time it was ready to run
 * but waited for a core (taken by the writer thread, V8's helpers or the load generator). Null
 * where /proc is not there.
 */
function mainThreadSchedstat(): { runUs: number; waitUs: number } | null {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ');
    return { runUs: Number(run) / 1000, waitUs: Number(wait) / 1000 };
  } catch {
    return null;
  }
}

const url = await app.listen();
process.stdout.write(`ready ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
