import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SHADOW_POLICY, type ShadowComparison, type ShadowSessionRecord } from '../domain/index.js';
import { migratedDatabase, postgresUnavailable } from '../test-support/postgres-server.js';
import { openDatabase, PostgresRolloutStore, PostgresShadowStore, SqliteRolloutStore, SqliteShadowStore, type OutboxStore, type ShadowStore } from './index.js';

const closers: (() => Promise<void>)[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(closers.map((c) => c()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
const noPostgres = postgresUnavailable();

const implementations: [string, () => Promise<{ store: ShadowStore; outbox: OutboxStore }>][] = [
  [
    'sqlite',
    async () => {
      const d = mkdtempSync(join(tmpdir(), 'coalmine-shadow-'));
      dirs.push(d);
      const state = openDatabase(join(d, 'coalmine.db'));
      const data = openDatabase(join(d, 'coalmine.db'), 'NORMAL');
      return { store: new SqliteShadowStore(data, state), outbox: new SqliteRolloutStore(state) };
    },
  ],
  [
    'postgres',
    async () => {
      const db = await migratedDatabase();
      closers.push(db.close);
      return { store: new PostgresShadowStore(db.sql), outbox: new PostgresRolloutStore(db.sql) };
    },
  ],
];

const comparison = (i: number, over: Partial<ShadowComparison> = {}): ShadowComparison => ({
  session: 's1',
  requestId: `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  row: 0,
  model: 'm',
  primaryVersion: 1,
  shadowVersion: 2,
  createdAt: 1_000 + i,
  primaryPrediction: 1,
  primaryProbability: 0.8,
  primaryLatencyMs: 1.5,
  shadowPrediction: i % 2 === 0 ? 1 : 0,
  shadowProbability: i % 2 === 0 ? 0.7 : 0.4,
  shadowLatencyMs: 2.5,
  shadowError: null,
  absDelta: i % 2 === 0 ? 0.1 : 0.4,
  agree: i % 2 === 0,
  label: null,
  labelledAt: null,
  ...over,
});

const record = (id: string, startedAt: string, over: Partial<ShadowSessionRecord> = {}): ShadowSessionRecord => ({
  id,
  model: 'm',
  shadow: { id, version: 2, sampleBp: 10_000, startedAt, policy: DEFAULT_SHADOW_POLICY, webhooks: ['http://127.0.0.1:1/h'] },
  stoppedAt: null,
  verdict: null,
  ...over,
});

for (const [name, make] of implementations) describe(`ShadowStore contract: ${name}`, { skip: name === 'postgres' ? (noPostgres ?? false) : false }, () => {
  it('keeps each comparison as it was given, once, and finds it by request id and row', async () => {
    const { store } = await make();
    const rows = [comparison(1), comparison(2, { row: 1, primaryPrediction: 'yes', shadowPrediction: 'no', agree: false }), comparison(3, { shadowPrediction: null, shadowProbability: null, absDelta: null, agree: null, shadowError: 'timed out' })];
    await store.appendComparisons(rows);
    await store.appendComparisons([comparison(1, { primaryPrediction: 0 })]);
    const found = await store.findComparisons([{ requestId: rows[0]!.requestId, row: 0 }, { requestId: rows[1]!.requestId, row: 1 }, { requestId: rows[2]!.requestId, row: 0 }, { requestId: rows[1]!.requestId, row: 0 }]);
    const byKey = new Map(found.map((c) => [`${c.requestId}#${c.row}`, c]));
    assert.equal(found.length, 3, 'the unknown key finds nothing');
    assert.deepEqual(byKey.get(`${rows[0]!.requestId}#0`), rows[0], 'a second append of the same row changes nothing');
    assert.deepEqual(byKey.get(`${rows[1]!.requestId}#1`), rows[1], 'string classes come back as strings');
    assert.deepEqual(byKey.get(`${rows[2]!.requestId}#0`), rows[2], 'a failed shadow call keeps its error and nulls');
  });

  it('takes a label once per row, and lists the latest comparisons of a session, or only its disagreements', async () => {
    const { store } = await make();
    await store.appendComparisons(Array.from({ length: 10 }, (_, i) => comparison(i)));
    await store.appendComparisons([comparison(50, { session: 's2' })]);
    const key = { requestId: comparison(4).requestId, row: 0 };
    assert.deepEqual(await store.labelComparisons([{ ...key, label: 1, at: 5000 }]), [key]);
    assert.deepEqual(await store.labelComparisons([{ ...key, label: 0, at: 6000 }]), [], 'a labelled row keeps its first label');
    assert.deepEqual(await store.labelComparisons([{ requestId: 'nope', row: 0, label: 1, at: 1 }]), []);
    const [labelled] = await store.findComparisons([key]);
    assert.equal(labelled!.label, 1);
    assert.equal(labelled!.labelledAt, 5000);
    const recent = await store.recentComparisons('s1', 3, false);
    assert.deepEqual(recent.map((c) => c.requestId), [9, 8, 7].map((i) => comparison(i).requestId), 'newest first, this session only');
    const disagreeing = await store.recentComparisons('s1', 100, true);
    assert.deepEqual(disagreeing.map((c) => c.requestId), [9, 7, 5, 3, 1].map((i) => comparison(i).requestId));
  });

  it('keeps one totals row per writer and session, rewritten by its writer', async () => {
    const { store } = await make();
    await store.writeStats([{ session: 's1', writer: 'a', data: '{"n":1}' }, { session: 's1', writer: 'b', data: '{"n":2}' }, { session: 's2', writer: 'a', data: '{"n":9}' }]);
    await store.writeStats([{ session: 's1', writer: 'a', data: '{"n":3}' }]);
    const rows = (await store.readStats('s1')).map((r) => ({ ...r })).sort((x, y) => x.writer.localeCompare(y.writer));
    assert.deepEqual(rows, [{ session: 's1', writer: 'a', data: '{"n":3}' }, { session: 's1', writer: 'b', data: '{"n":2}' }]);
    assert.deepEqual(await store.readStats('none'), []);
  });

  it('saves session records with their webhooks in one step, newest first', async () => {
    const { store, outbox } = await make();
    await store.saveSession(record('a', '2026-01-01T00:00:00.000Z'), []);
    await store.saveSession(record('b', '2026-01-02T00:00:00.000Z'), []);
    const verdict = { status: 'fail' as const, reason: 'agreement: too low', at: '2026-01-02T00:01:00.000Z' };
    await store.saveSession(record('b', '2026-01-02T00:00:00.000Z', { verdict }), [{ url: 'http://127.0.0.1:1/h', payload: '{"event":"shadow.verdict_changed"}' }]);
    assert.deepEqual((await store.sessions('m', 10)).map((r) => r.id), ['b', 'a']);
    assert.deepEqual((await store.session('b'))!.verdict, verdict);
    assert.equal(await store.session('zzz'), undefined);
    const due = await outbox.due(Date.now() + 1000, 10);
    assert.equal(due.length, 1);
    assert.equal(due[0]!.rolloutId, 'shadow:b');
    assert.equal(due[0]!.payload, '{"event":"shadow.verdict_changed"}');
  });

  it('purges comparisons past their retention, then the oldest beyond the row limit', async () => {
    const { store } = await make();
    await store.appendComparisons(Array.from({ length: 10 }, (_, i) => comparison(i)));
    assert.equal(await store.purge(1_003, 1_000_000), 3, 'rows created before the cut');
    assert.equal(await store.purge(0, 4), 3, 'then the oldest beyond 4');
    assert.deepEqual((await store.recentComparisons('s1', 100, false)).map((c) => c.requestId), [9, 8, 7, 6].map((i) => comparison(i).requestId));
  });
});
