import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { churnRows } from '../examples/index.js';
import { postgresUnavailable, testDatabase } from '../test-support/postgres-server.js';
import { freePort, spawnServer } from '../test-support/server-process.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const noPostgres = postgresUnavailable();
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'coalmine-workers-'));
  dirs.push(d);
  return d;
};
// A new connection per request, so the primary hands them to every worker in turn. A connection
// handed to a worker as it is killed is lost with it: the timeout moves on.
const json = async (url: string, init: RequestInit = {}) => {
  const res = await fetch(url, { ...init, headers: { connection: 'close', ...(init.body ? { 'content-type': 'application/json' } : {}) }, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** What `serve --workers 2` must do whatever holds the state. */
async function actAsOne(extra: string[]): Promise<void> {
  const server = await spawnServer(newDir(), await freePort(), ['--workers', '2', '--examples', ...extra], { COALMINE_LOG_LEVEL: 'warn', COALMINE_FLUSH_INTERVAL_MS: '200' });
  const pids = async (): Promise<Set<number>> => {
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const h = await json(`${server.url}/healthz`).catch(() => undefined);
      if (h) seen.add(h.body.pid as number);
    }
    return seen;
  };
  try {
    // /readyz answered once the first worker listened; the second starts after it.
    let first = await pids();
    for (let i = 0; first.size < 2; i++) {
      assert.ok(i < 40, `two workers answer on the one port: ${[...first].join(', ')}`);
      await sleep(250);
      first = await pids();
    }
    assert.ok(!first.has(server.child.pid!), 'the primary serves nothing itself');
    const ack = await json(`${server.url}/v1/models/churn/traffic`, { method: 'PUT', body: JSON.stringify({ canary_weight: 35 }) });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    for (let i = 0; ; i++) {
      const views = await Promise.all(Array.from({ length: 10 }, () => json(`${server.url}/v1/models/churn`)));
      if (views.every((v) => v.body.serving_revision === ack.body.revision)) break;
      assert.ok(i < 50, 'both workers serve the change');
      await sleep(20);
    }
    // Labels joined whichever worker served the prediction and whichever takes the label; counts merged.
    const reset = await json(`${server.url}/v1/models/churn/reset`, { method: 'POST' });
    assert.equal(reset.status, 200);
    await sleep(300);
    const rows = churnRows(40, 9);
    const served: { id: string; label: number; pid: number }[] = [];
    for (const r of rows) {
      const p = await json(`${server.url}/v1/models/churn/predict`, { method: 'POST', body: JSON.stringify({ features: r.features }) });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      served.push({ id: p.body.request_id as string, label: r.label, pid: 0 });
    }
    await sleep(800);
    for (const s of served) {
      const fb = await json(`${server.url}/v1/feedback`, { method: 'POST', body: JSON.stringify({ request_id: s.id, label: s.label }) });
      assert.equal(fb.status, 200, JSON.stringify(fb.body));
    }
    await sleep(800);
    for (let i = 0; i < 4; i++) {
      const m = await json(`${server.url}/v1/models/churn/metrics`);
      const v = m.body.variants as Record<'stable' | 'canary', { requests: number; labelled: number }>;
      assert.equal(v.stable.requests + v.canary.requests, 40, 'every worker reports both workers\' requests');
      assert.equal(v.stable.labelled + v.canary.labelled, 40);
    }
    const victim = [...first][0]!;
    process.kill(victim, 'SIGKILL');
    for (let i = 0; ; i++) {
      const now = await pids();
      if (now.size === 2 && !now.has(victim)) break;
      assert.ok(i < 60, `a replacement worker serves (${[...now].join(', ')})`);
      await sleep(250);
    }
    const p = await json(`${server.url}/v1/models/churn/predict`, { method: 'POST', body: JSON.stringify({ features: [0.1, 1, 0.5, 0.2, 1] }) });
    assert.equal(p.status, 200);
  } finally {
    const code = await server.kill('SIGTERM');
    assert.equal(code, 0, 'the primary stops its workers and exits cleanly');
  }
}

describe('coalmine serve --workers', () => {
  it('on one SQLite data directory: workers act as one server, and one killed with -9 is replaced', async () => {
    await actAsOne([]);
  });

  it('on PostgreSQL: the same', { skip: noPostgres ?? false }, async () => {
    const db = await testDatabase();
    try {
      await actAsOne(['--database-url', db.url]);
    } finally {
      await db.drop();
    }
  });

  it('keeps an independent server off a data directory its workers hold, naming the owner', async () => {
    const dir = newDir();
    const server = await spawnServer(dir, await freePort(), ['--workers', '2'], { COALMINE_LOG_LEVEL: 'warn' });
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--data-dir', dir, '--port', String(await freePort())], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const stray = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(stray);
      assert.match(out, new RegExp(`is in use by coalmine process ${server.child.pid}`), out);
      assert.equal(code, 1);
    } finally {
      await server.kill('SIGTERM');
    }
  });
});
