import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAppError, type Rollout } from '../domain/index.js';
import { migratedDatabase, postgresUnavailable } from '../test-support/postgres-server.js';
import { MemoryRolloutStore, openDatabase, PostgresRolloutStore, SqliteRolloutStore, type OutboxStore, type RolloutStore } from './index.js';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
after(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await Promise.all(closers.map((c) => c()));
});
const noPostgres = postgresUnavailable();

const T = '2026-01-01T00:00:00.000Z';
const rollout = (id: string, model = 'churn', at = T): Rollout => ({
  id, model, revision: 0, phase: 'progressing', stepIndex: 0, stepStartedAt: at, stepRoutingRevision: 1, startedAt: at, updatedAt: at,
  stableVersion: 1, consecutiveFailures: 0, nextAnalysisAt: null, reason: null, attempt: 1, history: [],
  spec: { canaryVersion: 2, steps: [{ weightBp: 1000, bakeMs: 0, minSamples: 0, pause: false }], intervalMs: 1000, analysis: null, failureLimit: 0, inconclusive: 'wait', maxDurationMs: 3_600_000, srmAlpha: 0.001, webhooks: [] },
});

type Store = RolloutStore & OutboxStore;

const implementations: [string, () => Store | Promise<Store>][] = [
  ['memory', () => new MemoryRolloutStore()],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'coalmine-rollout-store-'));
      dirs.push(dir);
      return new SqliteRolloutStore(openDatabase(join(dir, 'coalmine.db')));
    },
  ],
  [
    'postgres',
    async () => {
      const db = await migratedDatabase();
      closers.push(db.close);
      return new PostgresRolloutStore(db.sql);
    },
  ],
];

/** One contract, every implementation (as Hono runs one router suite against each router). */
for (const [name, make] of implementations) {
  describe(`RolloutStore contract: ${name}`, { skip: name === 'postgres' ? (noPostgres ?? false) : false }, () => {
    it('keeps one active rollout per model; a finished one makes room', async () => {
      const s = await make();
      await s.create(rollout('a'));
      await assert.rejects(s.create(rollout('b')), (e: unknown) => isAppError(e) && e.code === 'conflict');
      await s.create(rollout('other', 'fraud'));
      const a = (await s.get('churn'))!;
      await s.save({ ...a, phase: 'rolled_back' }, a.revision, []);
      await s.create(rollout('b', 'churn', '2026-01-01T00:00:01.000Z'));
      assert.equal((await s.get('churn'))!.id, 'b');
      assert.deepEqual((await s.list('churn', 10)).map((r) => r.id), ['b', 'a'], 'newest first');
      assert.deepEqual((await s.active()).map((r) => r.id).sort(), ['b', 'other']);
    });

    it('saves against the expected revision only, and never twice from the same revision', async () => {
      const s = await make();
      await s.create(rollout('a'));
      const first = (await s.get('churn'))!;
      const saved = await s.save({ ...first, stepIndex: 1 }, first.revision, []);
      assert.equal(saved.revision, first.revision + 1);
      await assert.rejects(s.save({ ...first, stepIndex: 2 }, first.revision, []), (e: unknown) => isAppError(e) && e.code === 'conflict');
      assert.equal((await s.get('churn'))!.stepIndex, 1, 'the stale save changed nothing');
    });

    it('stores notifications with their change; delivery and retries move them through the outbox', async () => {
      const s = await make();
      await s.create(rollout('a'));
      const r = (await s.get('churn'))!;
      await s.save({ ...r, phase: 'paused' }, r.revision, [{ url: 'http://127.0.0.1:9/a', payload: '{"n":1}' }, { url: 'http://127.0.0.1:9/b', payload: '{"n":2}' }]);
      // Due at once: the SQLite store stamps them with the wall clock, so "now" is read here too.
      const now = Date.now() + 1000;
      const due = await s.due(now, 10);
      assert.deepEqual(due.map((d) => [d.url, d.payload, d.attempts]), [['http://127.0.0.1:9/a', '{"n":1}', 0], ['http://127.0.0.1:9/b', '{"n":2}', 0]]);
      assert.deepEqual(await s.due(now, 10), [], 'claimed: a second sender (another replica) does not get them too');
      await s.delivered(due[0]!.id, 5);
      await s.retryLater(due[1]!.id, 1, now + 1000, 'HTTP 500', false);
      assert.deepEqual(await s.due(now + 999, 10), [], 'a retry waits for its time');
      assert.deepEqual((await s.due(now + 1000, 10)).map((d) => [d.id, d.attempts]), [[due[1]!.id, 1]]);
      await s.retryLater(due[1]!.id, 10, now + 2000, 'HTTP 500', true);
      assert.deepEqual(await s.due(now + 10_000, 10), [], 'given up is never due again');
      await assert.rejects(s.save({ ...r, phase: 'progressing' }, r.revision, [{ url: 'http://x/', payload: '{}' }]));
      assert.equal((await s.due(now + 10_000, 10)).length, 0, 'a refused save adds no notification');
    });
  });
}
