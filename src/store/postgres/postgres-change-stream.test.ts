import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import postgres from 'postgres';
import type { StoreChange, StoreLink } from '../change-stream.js';
import { postgresUnavailable, startPostgres, testDatabase } from '../../test-support/postgres-server.js';
import { PostgresChangeStream } from './postgres-change-stream.js';
import { openPostgres } from './postgres-database.js';
import { announce } from './postgres-registry-store.js';

const noPostgres = postgresUnavailable();
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => undefined);
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); await sleep(10)) if (Date.now() > end) assert.fail(`${what} within ${ms} ms`);
}

/** A stream on `url` that records what it hears, its resync requests and its link changes. */
async function watch(url: string) {
  const links: StoreLink[] = [];
  const seen: StoreChange[] = [];
  let resyncs = 0;
  const stream = new PostgresChangeStream((onNotify) => openPostgres(url, { max: 1, persistent: true, onNotify }), { heartbeatMs: 100, onLink: (l) => links.push(l) });
  await stream.start(
    (c) => seen.push(c),
    () => resyncs++,
  );
  closers.push(() => stream.close());
  return { stream, links, seen, resyncs: () => resyncs };
}

describe('PostgreSQL change stream', { skip: noPostgres ?? false }, () => {
  it("delivers another connection's committed changes in order, and ignores other streams' heartbeats", async () => {
    const db = await testDatabase();
    const writer = postgres(db.url, { max: 1, onnotice: () => undefined });
    closers.push(db.drop, () => writer.end({ timeout: 1 }));
    const a = await watch(db.url);
    const b = await watch(db.url);
    await announce(writer, { kind: 'routing', model: 'm', revision: 2 });
    await writer.begin(async (tx) => {
      await announce(tx, { kind: 'version', model: 'm', version: 3 });
      throw new Error('rolled back');
    }).catch(() => undefined);
    await announce(writer, { kind: 'settings', model: 'm' });
    await until('both streams hear the two committed changes', () => a.seen.length >= 2 && b.seen.length >= 2);
    // Several heartbeats of each stream go by on the same channel.
    await sleep(350);
    for (const s of [a, b]) {
      assert.deepEqual(s.seen, [{ kind: 'routing', model: 'm', revision: 2 }, { kind: 'settings', model: 'm' }]);
      assert.equal(s.resyncs(), 0, 'a healthy link asks for no resync');
      assert.deepEqual(s.links, [], 'and never changes state');
    }
  });

  /** A role of its own for one stream, so a test can find its session, cut it, and refuse its logins. */
  async function ownRole(url: string) {
    const admin = postgres(url, { max: 1, onnotice: () => undefined });
    const role = `cs_${process.pid}_${Date.now().toString(36)}`;
    await admin.unsafe(`CREATE ROLE ${role} LOGIN`);
    closers.push(async () => {
      await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ${role}`;
      await admin.unsafe(`DROP ROLE IF EXISTS ${role}`);
      await admin.end({ timeout: 1 });
    });
    const u = new URL(url);
    u.username = role;
    return {
      admin,
      url: u.toString(),
      cut: async () => (await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ${role}`).length,
      logins: (allowed: boolean) => admin.unsafe(`ALTER ROLE ${role} ${allowed ? 'LOGIN' : 'NOLOGIN'}`),
    };
  }

  it('hears again after its session is cut and silently replaced, and asks for a resync for what it missed', async () => {
    const db = await testDatabase();
    closers.push(db.drop);
    const r = await ownRole(db.url);
    const w = await watch(r.url);
    await sleep(250);
    // The session that LISTENs is replaced by a new one at the next query, which answers but hears nothing.
    assert.equal(await r.cut(), 1, "the stream's session is found and cut");
    await announce(r.admin, { kind: 'routing', model: 'm', revision: 7 });
    await until('a resync is asked for', () => w.resyncs() >= 1);
    await announce(r.admin, { kind: 'routing', model: 'm', revision: 8 });
    await until('a change after it is heard', () => w.seen.some((c) => (c as { revision: number }).revision === 8), 1000);
    assert.equal(w.stream.link().connected, true);
  });

  it('reports the link down with the reason while it cannot get back in, and resyncs once it does', async () => {
    const db = await testDatabase();
    closers.push(db.drop);
    const r = await ownRole(db.url);
    const w = await watch(r.url);
    await sleep(250);
    await r.logins(false);
    assert.equal(await r.cut(), 1);
    await until('the link is reported down', () => w.stream.link().connected === false);
    assert.match(w.stream.link().error ?? '', /not permitted to log in/, 'with the reason');
    await announce(r.admin, { kind: 'routing', model: 'm', revision: 7 });
    await r.logins(true);
    await until('the link comes back', () => w.stream.link().connected);
    assert.ok(w.resyncs() >= 1, 'and asks for a resync, since the change announced meanwhile was missed');
    assert.deepEqual(w.seen, [], 'that change was not heard');
    await announce(r.admin, { kind: 'routing', model: 'm', revision: 8 });
    await until('a change after the recovery is heard', () => w.seen.length === 1, 1000);
    assert.deepEqual(w.seen, [{ kind: 'routing', model: 'm', revision: 8 }]);
    assert.deepEqual(w.links.map((l) => l.connected), [false, true], 'one outage, one recovery');
  });

  it('after each of three server restarts, reports itself connected only once it hears changes again', async () => {
    const pg = await startPostgres();
    closers.push(pg.stop);
    const db = await testDatabase(pg.url);
    const w = await watch(db.url);
    for (let round = 1; round <= 3; round++) {
      await pg.halt();
      await until(`round ${round}: the link is reported down`, () => w.stream.link().connected === false);
      await pg.resume();
      await until(`round ${round}: the link comes back`, () => w.stream.link().connected, 10_000);
      const writer = postgres(db.url, { max: 1, onnotice: () => undefined });
      try {
        await announce(writer, { kind: 'routing', model: 'm', revision: round });
      } finally {
        await writer.end({ timeout: 1 });
      }
      // Connected means heard: the change arrives without waiting for another heartbeat.
      await until(`round ${round}: the change made once connected is heard`, () => w.seen.length === round, 500);
    }
    assert.deepEqual(w.seen.map((c) => (c as { revision: number }).revision), [1, 2, 3]);
    assert.ok(w.resyncs() >= 3, `a resync after every outage (${w.resyncs()})`);
  });
});
