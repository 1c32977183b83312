import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { postgresUnavailable, startPostgres, testDatabase, type TestDatabase } from '../test-support/postgres-server.js';
import { freePort, spawnServer, type ServerProcess } from '../test-support/server-process.js';

/**
 * Three `coalmine serve` processes on one PostgreSQL database, each with its own data directory
 * (as on three machines): a change acknowledged by any of them reaches the others' hot path,
 * feedback sent to one joins a prediction another served, and the metrics each reports are the
 * merge of all three.
 */
const noPostgres = postgresUnavailable();
const dirs: string[] = [];
const FLUSH_MS = '200';

async function replica(url: string, extra: string[] = []): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-replica-'));
  dirs.push(dir);
  return spawnServer(dir, await freePort(), ['--database-url', url, ...extra], { COALMINE_FLUSH_INTERVAL_MS: FLUSH_MS, COALMINE_LOG_LEVEL: 'warn' });
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('replicas on one PostgreSQL state', { skip: noPostgres ?? false }, () => {
  let db: TestDatabase;
  let r: ServerProcess[] = [];
  before(async () => {
    db = await testDatabase();
    // The first creates the example model; the others find it, and copy its files from the database.
    r.push(await replica(db.url, ['--examples']));
    r.push(await replica(db.url), await replica(db.url));
  });
  after(async () => {
    await Promise.all(r.map((p) => p.kill('SIGTERM')));
    await db.drop();
    r = [];
  });

  it('applies a change acknowledged by any replica on every other within 250 ms (p99), in revision order', async (t) => {
    const delays: number[] = [];
    for (let i = 0; i < 30; i++) {
      const via = r[i % 3]!;
      const weight = [5, 20, 35, 50, 65][i % 5]!;
      const ack = await call(via.url, 'PUT', '/v1/models/churn/traffic', { canary_weight: weight });
      assert.equal(ack.status, 200, JSON.stringify(ack.json));
      const revision = ack.json.revision as number;
      const acked = performance.now();
      const others = r.filter((x) => x !== via);
      await Promise.all(
        others.map(async (o) => {
          for (;;) {
            const view = await call(o.url, 'GET', '/v1/models/churn');
            const serving = view.json.serving_revision as number;
            assert.ok(serving <= revision, `a replica never runs ahead of the last acknowledged revision (${serving} > ${revision})`);
            if (serving === revision) {
              assert.equal(view.json.canary_weight, weight);
              delays.push(performance.now() - acked);
              return;
            }
            assert.ok(performance.now() - acked < 5000, `replica ${o.url} still serves revision ${serving} 5 s after ${revision} was acknowledged`);
            await sleep(2);
          }
        }),
      );
    }
    const sorted = [...delays].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]!;
    assert.equal(delays.length, 60);
    t.diagnostic(`time for a change to reach the other replicas: median ${sorted[30]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
    assert.ok(p99 <= 250, `p99 ${p99.toFixed(1)} ms to reach the other replicas (median ${sorted[30]!.toFixed(1)} ms)`);
  });

  it('joins feedback sent to one replica with a prediction another served, and every replica reports the merged counts', async () => {
    const reset = await call(r[0]!.url, 'POST', '/v1/models/churn/reset');
    assert.equal(reset.status, 200, JSON.stringify(reset.json));
    // The reset must reach the others before they serve, or their requests count under the old revision.
    await sleep(300);
    const rows = churnRows(90, 5);
    const served: { id: string; label: number; by: number }[] = [];
    for (let i = 0; i < rows.length; i++) {
      const p = await call(r[i % 3]!.url, 'POST', '/v1/models/churn/predict', { features: rows[i]!.features });
      assert.equal(p.status, 200, JSON.stringify(p.json));
      served.push({ id: p.json.request_id as string, label: rows[i]!.label, by: i % 3 });
    }
    // Each replica writes its prediction log and telemetry every 200 ms here (1 s by default).
    await sleep(Number(FLUSH_MS) * 3);
    for (const s of served) {
      const fb = await call(r[(s.by + 1) % 3]!.url, 'POST', '/v1/feedback', { request_id: s.id, label: s.label });
      assert.equal(fb.status, 200, `feedback to another replica than the one that served ${s.id}: ${JSON.stringify(fb.json)}`);
    }
    const again = await call(r[2]!.url, 'POST', '/v1/feedback', { request_id: served[0]!.id, label: served[0]!.label });
    assert.equal(again.status, 409, 'a label already given through another replica is a duplicate');
    await sleep(Number(FLUSH_MS) * 3);
    for (const x of r) {
      const m = await call(x.url, 'GET', '/v1/models/churn/metrics');
      const v = m.json.variants as Record<'stable' | 'canary', { requests: number; labelled: number }>;
      assert.equal(v.stable.requests + v.canary.requests, 90, `${x.url} counts every replica's requests`);
      assert.equal(v.stable.labelled + v.canary.labelled, 90, `${x.url} counts every label, whichever replica took it`);
    }
  });
});

describe('a replica that loses the database', { skip: noPostgres ?? false }, () => {
  it('keeps serving its last routing, says so, refuses changes with a 503, and catches up when the database is back', async () => {
    const pg = await startPostgres();
    const db = await testDatabase(pg.url);
    const a = await replica(db.url, ['--examples']);
    const b = await replica(db.url);
    try {
      assert.equal((await call(a.url, 'PUT', '/v1/models/churn/traffic', { canary_weight: 30 })).status, 200);
      await pg.halt();
      for (const x of [a, b]) {
        for (let i = 0; ; i++) {
          const h = await call(x.url, 'GET', '/healthz');
          assert.equal(h.status, 200, 'still alive');
          if ((h.json.state as { connected: boolean }).connected === false) break;
          assert.ok(i < 100, 'the lost database shows on /healthz within 10 s');
          await sleep(100);
        }
      }
      const p = await call(b.url, 'POST', '/v1/models/churn/predict', { features: [0.1, 1, 0.5, 0.2, 1] });
      assert.equal(p.status, 200, `predictions go on: ${JSON.stringify(p.json)}`);
      const refused = await call(a.url, 'PUT', '/v1/models/churn/traffic', { canary_weight: 60 });
      assert.equal(refused.status, 503);
      assert.equal((refused.json.error as { code: string }).code, 'store_unavailable');
      assert.match((refused.json.error as { message: string }).message, /cannot reach the shared database/);
      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      assert.match(metrics, /coalmine_store_connected 0/);
      await pg.resume();
      for (const x of [a, b]) {
        for (let i = 0; ; i++) {
          const h = await call(x.url, 'GET', '/healthz');
          if ((h.json.state as { connected: boolean }).connected) break;
          assert.ok(i < 100, 'the database is seen again within 10 s');
          await sleep(100);
        }
      }
      const ack = await call(a.url, 'PUT', '/v1/models/churn/traffic', { canary_weight: 60 });
      assert.equal(ack.status, 200, JSON.stringify(ack.json));
      for (let i = 0; ; i++) {
        const view = await call(b.url, 'GET', '/v1/models/churn');
        if (view.json.serving_revision === ack.json.revision) break;
        assert.ok(i < 100, 'a change after the outage reaches the other replica');
        await sleep(20);
      }
    } finally {
      await Promise.all([a.kill('SIGTERM'), b.kill('SIGTERM')]);
      await pg.stop();
    }
  });
});
