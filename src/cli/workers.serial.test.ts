import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { postgresUnavailable, testDatabase } from '../test-support/postgres-server.js';
import { freePort, spawnServer } from '../test-support/server-process.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const noPostgres = postgresUnavailable();
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('coalmine serve --workers', () => {
  it('refuses a SQLite data directory, saying what to do instead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-workers-'));
    dirs.push(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', '--workers', '2', '--data-dir', dir, '--port', String(await freePort())], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, COALMINE_DATABASE_URL: '' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(out, /--workers 2 needs the state in PostgreSQL \(--database-url or COALMINE_DATABASE_URL\)/);
  });

  it('runs N workers on one port that act as one server, and replaces a worker killed with -9', { skip: noPostgres ?? false }, async () => {
    const db = await testDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'coalmine-workers-'));
    dirs.push(dir);
    const server = await spawnServer(dir, await freePort(), ['--workers', '2', '--examples', '--database-url', db.url], { COALMINE_LOG_LEVEL: 'warn' });
    const pids = async (): Promise<Set<number>> => {
      const seen = new Set<number>();
      // A new connection per request, so the primary hands them to both workers. A connection
      // handed to a worker as it is killed is lost with it: the timeout moves on.
      for (let i = 0; i < 40; i++) {
        const h = await json(`${server.url}/healthz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(2000) }).catch(() => undefined);
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
      const ack = await json(`${server.url}/v1/models/churn/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ canary_weight: 35 }) });
      assert.equal(ack.status, 200, JSON.stringify(ack.body));
      for (let i = 0; ; i++) {
        const views = await Promise.all(Array.from({ length: 10 }, () => json(`${server.url}/v1/models/churn`, { headers: { connection: 'close' } })));
        if (views.every((v) => v.body.serving_revision === ack.body.revision)) break;
        assert.ok(i < 50, 'both workers serve the change');
        await sleep(20);
      }
      const victim = [...first][0]!;
      process.kill(victim, 'SIGKILL');
      for (let i = 0; ; i++) {
        const now = await pids();
        if (now.size === 2 && !now.has(victim)) break;
        assert.ok(i < 60, `a replacement worker serves (${[...now].join(', ')})`);
        await sleep(250);
      }
      const p = await json(`${server.url}/v1/models/churn/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: [0.1, 1, 0.5, 0.2, 1] }) });
      assert.equal(p.status, 200);
    } finally {
      const code = await server.kill('SIGTERM');
      assert.equal(code, 0, 'the primary stops its workers and exits cleanly');
      await db.drop();
    }
  });
});
