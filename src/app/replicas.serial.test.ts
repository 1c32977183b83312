import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { haproxyUnavailable, startHaproxy } from '../test-support/haproxy.js';
import { postgresUnavailable, startPostgres, testDatabase, type TestDatabase } from '../test-support/postgres-server.js';
import { freePort, spawnServer, type ServerProcess } from '../test-support/server-process.js';

/**
 * Three `coalmine serve` processes on one PostgreSQL database, each with its own data directory
 * (as on three machines): a change acknowledged by any of them reaches the others' hot path,
 * feedback sent to one joins a prediction another served, and the metrics each reports are the
 * merge of all three. Serial (run alone after the parallel tests): the delay it measures is the
 * replicas', not a neighbouring test's load on the same two cores.
 */
const noPostgres = postgresUnavailable();
const noHaproxy = haproxyUnavailable();
const dirs: string[] = [];
const FLUSH_MS = '200';

/** A `serve` process on the database at `url`, with a data directory of its own (as on its own machine). */
async function replica(url: string, extra: string[] = [], env: Record<string, string> = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-replica-'));
  dirs.push(dir);
  return spawnServer(dir, await freePort(), ['--database-url', url, ...extra], { COALMINE_FLUSH_INTERVAL_MS: FLUSH_MS, COALMINE_LOG_LEVEL: 'warn', ...env });
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Five steps a few hundred milliseconds apart, judged on the error rate: a rollout that finishes in seconds under traffic. */
const QUICK_ROLLOUT = {
  canary: 2,
  steps: [10, 25, 40, 60, 80],
  interval: '300ms',
  bake: '600ms',
  minSamples: 5,
  analysis: [{ metric: 'error_rate', critical: true, judge: { judge: 'threshold', statistic: 'rate', max: 0.05, minSamples: 10 } }],
};

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
    // The first few changes warm the path up (JIT, connections); 100 measured, 200 arrivals.
    const WARM_UP = 5;
    for (let i = 0; i < WARM_UP + 100; i++) {
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
              if (i >= WARM_UP) delays.push(performance.now() - acked);
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
    assert.equal(delays.length, 200);
    t.diagnostic(`time for a change to reach the other replicas: median ${sorted[100]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
    assert.ok(p99 <= 250, `p99 ${p99.toFixed(1)} ms to reach the other replicas (median ${sorted[100]!.toFixed(1)} ms)`);
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

describe('the rollout controller among replicas', { skip: noPostgres ?? false }, () => {
  it('is one replica at a time; after a kill -9 of it mid-rollout another takes over within the lease, with no step repeated or skipped and each webhook sent once', async (t) => {
    const db = await testDatabase();
    const hooks: { delivery_id: number; to?: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as { delivery_id: number; to?: string });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    const TTL = 2000;
    const env = { COALMINE_LEASE_TTL_MS: String(TTL) };
    const a = await replica(db.url, ['--examples'], env);
    const b = await replica(db.url, [], env);
    const replicas = [a, b];
    let sending = true;
    const rows = churnRows(2000, 3);
    const sender = async (k: number) => {
      for (let i = k; sending; i += 4) {
        const via = replicas[i % replicas.length]!;
        await fetch(`${via.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ features: rows[i % rows.length]!.features, label: rows[i % rows.length]!.label }) }).catch(() => sleep(5));
      }
    };
    const senders = [0, 1, 2, 3].map(sender);
    try {
      const controllerOf = async () => {
        const flags = await Promise.all(replicas.map(async (x) => ((await call(x.url, 'GET', '/healthz').catch(() => ({ json: { controller: false } }))).json.controller as boolean)));
        return flags;
      };
      assert.deepEqual(await controllerOf(), [true, false], 'the replica that started first drives; the other does not');
      const started = await call(b.url, 'POST', '/v1/models/churn/rollout', { ...QUICK_ROLLOUT, webhooks: [hookUrl] });
      assert.equal(started.status, 201, `a rollout started through the replica that does not drive: ${JSON.stringify(started.json)}`);
      for (let i = 0; ; i++) {
        const r = await call(b.url, 'GET', '/v1/models/churn/rollout');
        if ((r.json.step as number) >= 2) break;
        assert.ok(i < 300, `the rollout reached step 2 (at ${String(r.json.step)}, ${String(r.json.phase)})`);
        await sleep(100);
      }
      await a.kill('SIGKILL');
      const killed = performance.now();
      replicas.splice(0, 1);
      for (let i = 0; ; i++) {
        const h = await call(b.url, 'GET', '/healthz');
        if (h.json.controller === true) break;
        assert.ok(i < 200, 'the other replica took the lease');
        await sleep(25);
      }
      const takeover = performance.now() - killed;
      t.diagnostic(`the surviving replica drove the rollouts ${takeover.toFixed(0)} ms after the kill -9 (lease TTL ${TTL} ms, renewed every ${Math.floor(TTL / 3)} ms)`);
      assert.ok(takeover <= TTL + Math.floor(TTL / 3) + 500, `taken over within the TTL plus one interval (${takeover.toFixed(0)} ms)`);
      let final: Record<string, unknown> = {};
      for (let i = 0; ; i++) {
        final = (await call(b.url, 'GET', '/v1/models/churn/rollout')).json;
        if (final.phase !== 'progressing' && final.phase !== 'pending' && final.phase !== 'promoting') break;
        assert.ok(i < 600, `the rollout finished (${String(final.phase)} at step ${String(final.step)})`);
        await sleep(100);
      }
      assert.equal(final.phase, 'succeeded', JSON.stringify(final));
      const history = (await call(b.url, 'GET', '/v1/models/churn/rollout/history')).json.decisions as { seq: number; step: number; action: string; weight: number }[];
      assert.deepEqual(history.map((d) => d.seq), history.map((_, k) => k + 1), 'no decision repeated or lost');
      const weights = history.filter((d) => d.action === 'set_weight' || d.action === 'advance' || d.action === 'start').map((d) => d.weight);
      for (let k = 1; k < weights.length; k++) assert.ok(weights[k]! >= weights[k - 1]!, `steps only move forward: ${weights.join(' → ')}`);
      const steps = history.map((d) => d.step);
      for (let k = 1; k < steps.length; k++) assert.ok(steps[k]! - steps[k - 1]! <= 1 && steps[k]! >= steps[k - 1]!, `no step skipped or repeated: ${steps.join(', ')}`);
      // Deliveries are claimed in the store: whichever replica sends one, it is sent once.
      for (let i = 0; hooks.every((h) => h.to !== 'succeeded'); i++) {
        assert.ok(i < 100, 'the success was notified');
        await sleep(100);
      }
      const ids = hooks.map((h) => h.delivery_id);
      assert.equal(new Set(ids).size, ids.length, `each webhook delivered once: ${ids.join(', ')}`);
    } finally {
      sending = false;
      await Promise.all(senders);
      await Promise.all([a.kill('SIGKILL'), b.kill('SIGTERM')]);
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      await db.drop();
    }
  });
});

describe('three replicas behind HAProxy', { skip: noPostgres ?? noHaproxy ?? false }, () => {
  it('act as one server: merged counts equal what was sent, and a rollout finishes through the kill -9 of its controller with no failed request beyond those in flight', async (t) => {
    const db = await testDatabase();
    const env = { COALMINE_LEASE_TTL_MS: '2000' };
    const replicas = [await replica(db.url, ['--examples'], env)];
    replicas.push(await replica(db.url, [], env), await replica(db.url, [], env));
    const lb = await startHaproxy(replicas.map((r) => r.url));
    const rows = churnRows(4000, 11);
    const sendThrough = async (n: number, concurrency: number): Promise<number> => {
      let next = 0;
      let ok = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = next++; i < n; i = next++) {
            const r = rows[i % rows.length]!;
            const res = await call(lb.url, 'POST', '/predict', { features: r.features, label: r.label });
            if (res.status === 200) ok++;
          }
        }),
      );
      return ok;
    };
    try {
      assert.equal((await call(lb.url, 'POST', '/v1/models/churn/reset')).status, 200);
      await sleep(300);
      assert.equal(await sendThrough(300, 4), 300, 'every request answered');
      await sleep(Number(FLUSH_MS) * 3);
      const m = await call(lb.url, 'GET', '/v1/models/churn/metrics');
      const v = m.json.variants as Record<'stable' | 'canary', { requests: number; labelled: number }>;
      assert.equal(v.stable.requests + v.canary.requests, 300, 'the merged count is what was sent, whichever replica served it');
      assert.equal(v.stable.labelled + v.canary.labelled, 300);

      // A rollout under steady traffic; its controller is killed with -9 at step 2.
      let sending = true;
      let answered = 0;
      const failures: string[] = [];
      const senders = [0, 1, 2, 3].map(async (k) => {
        for (let i = k; sending; i += 4) {
          const r = rows[i % rows.length]!;
          try {
            const res = await call(lb.url, 'POST', '/predict', { features: r.features, label: r.label });
            if (res.status === 200) answered++;
            else failures.push(`${res.status} ${JSON.stringify(res.json).slice(0, 120)}`);
          } catch (err) {
            failures.push(String(err));
          }
        }
      });
      const started = await call(lb.url, 'POST', '/v1/models/churn/rollout', QUICK_ROLLOUT);
      assert.equal(started.status, 201, JSON.stringify(started.json));
      for (let i = 0; ; i++) {
        const r = await call(lb.url, 'GET', '/v1/models/churn/rollout');
        if ((r.json.step as number) >= 2) break;
        assert.ok(i < 300, `the rollout reached step 2 (${String(r.json.phase)} at ${String(r.json.step)})`);
        await sleep(100);
      }
      const flags = await Promise.all(replicas.map(async (x) => (await call(x.url, 'GET', '/healthz')).json.controller === true));
      assert.equal(flags.filter(Boolean).length, 1, 'one replica drives');
      const controller = replicas[flags.indexOf(true)]!;
      await controller.kill('SIGKILL');
      let final: Record<string, unknown> = {};
      for (let i = 0; ; i++) {
        final = (await call(lb.url, 'GET', '/v1/models/churn/rollout')).json;
        if (final.phase === 'succeeded' || final.phase === 'rolled_back' || final.phase === 'failed') break;
        assert.ok(i < 600, `the rollout finished (${String(final.phase)} at step ${String(final.step)})`);
        await sleep(100);
      }
      sending = false;
      await Promise.all(senders);
      t.diagnostic(`${answered} predictions answered during the rollout, ${failures.length} failed (${failures.slice(0, 4).join('; ')})`);
      assert.equal(final.phase, 'succeeded', JSON.stringify(final));
      // Each of the 4 senders has at most one request in flight, to the killed replica or not.
      assert.ok(failures.length <= 4, `no failed request beyond those in flight to the killed replica: ${failures.join('; ')}`);
      const history = (await call(lb.url, 'GET', '/v1/models/churn/rollout/history')).json.decisions as { seq: number }[];
      assert.deepEqual(history.map((d) => d.seq), history.map((_, k) => k + 1), 'no decision repeated or lost');
    } finally {
      await lb.stop();
      await Promise.all(replicas.map((r) => r.kill('SIGTERM')));
      await db.drop();
    }
  });
});
