import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import type { PredictionLogEntry } from '../domain/index.js';
import { openDatabase, SqlitePredictionLogStore, SqliteTelemetryStore } from '../store/index.js';
import { PredictionLog, Telemetry, type RecordInput } from './index.js';

const dirs: string[] = [];
const dbs: Database.Database[] = [];
after(() => {
  dbs.forEach((d) => d.close());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-telemetry-'));
  dirs.push(dir);
  const db = openDatabase(join(dir, 'c.db'));
  dbs.push(db);
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const make = () => new Telemetry({ store: new SqliteTelemetryStore(db), now: clock.now, bucketMs: 5000 });
  return { db, clock, make };
}

const base: RecordInput = { model: 'm', variant: 'stable', version: 1, revision: 1, forced: false, task: 'binary_classifier', latencyMs: 2, error: false, predictions: [{ prediction: 1, probability: 0.8 }] };

describe('telemetry', () => {
  it('counts requests, errors, latency, predictions and inline labels per variant; forced apart', async () => {
    const { make } = setup();
    const t = make();
    for (let i = 0; i < 90; i++) t.record({ ...base, latencyMs: 1 + (i % 10), labels: [i % 3 === 0 ? 0 : 1] });
    for (let i = 0; i < 10; i++) t.record({ ...base, variant: 'canary', version: 2, latencyMs: 20, error: i < 2, predictions: i < 2 ? [] : [{ prediction: 0, probability: 0.3 }] });
    t.record({ ...base, variant: 'canary', version: 2, forced: true });
    const w = await t.window('m', { from: 0 });
    const stable = w.get('stable')!.stats;
    const canary = w.get('canary')!;
    assert.equal(stable.requests, 90);
    assert.equal(stable.labelled, 90);
    assert.equal(stable.correct, 60);
    assert.equal(stable.latency.n, 90);
    assert.ok(Math.abs(stable.latency.mean - 5.5) < 1e-9);
    assert.ok(Math.abs(stable.sketch.quantile(0.5) - 5) / 5 < 0.02);
    assert.equal(canary.stats.requests, 10);
    assert.equal(canary.stats.errors, 2);
    assert.equal(canary.stats.predictions, 8);
    assert.equal(canary.forced.requests, 1, 'forced requests are counted apart');
    assert.deepEqual(canary.versions, [2]);
    assert.equal(stable.scores.counts.reduce((a, b) => a + b, 0), 90, 'every scored prediction lands in the histogram');
  });

  it('keeps statistics across a flush and a new process, without double counting the open bucket', async () => {
    const { make, clock } = setup();
    const t = make();
    for (let i = 0; i < 50; i++) t.record(base);
    await t.flush();
    for (let i = 0; i < 25; i++) t.record(base);
    await t.flush();
    await t.flush();
    clock.advance(12_000);
    t.record(base);
    await t.flush();
    const again = make();
    assert.equal((await again.window('m', { from: 0 })).get('stable')!.stats.requests, 76);
    assert.equal((await t.window('m', { from: 0 })).get('stable')!.stats.requests, 76);
  });

  it('drops closed buckets from memory once written, so memory stays bounded', async () => {
    const { make, clock } = setup();
    const t = make();
    for (let i = 0; i < 100; i++) {
      t.record(base);
      clock.advance(1000);
      if (i % 10 === 0) await t.flush();
    }
    await t.flush();
    assert.ok(t.openBucketCount() <= 1, `open buckets ${t.openBucketCount()}`);
    const points = await t.buckets('m', 0);
    assert.equal(points.length, 20);
    assert.equal(points.reduce((s, p) => s + p.stats.requests, 0), 100);
  });

  it('separates rollout steps by routing revision, and windows by time', async () => {
    const { make, clock } = setup();
    const t = make();
    for (let i = 0; i < 10; i++) t.record({ ...base, revision: 3 });
    clock.advance(60_000);
    for (let i = 0; i < 7; i++) t.record({ ...base, revision: 4 });
    assert.equal((await t.window('m', { from: 0, minRevision: 4 })).get('stable')!.stats.requests, 7);
    assert.equal((await t.window('m', { from: clock.now() - 1000 })).get('stable')!.stats.requests, 7);
    assert.equal((await t.window('m', { from: 0 })).get('stable')!.stats.requests, 17);
  });

  it('scores late labels for the series that served the prediction, regression errors included', async () => {
    const { make } = setup();
    const t = make();
    t.recordLabel({ model: 'm', variant: 'canary', version: 2, revision: 1, forced: false }, 'binary_classifier', 1, '1');
    t.recordLabel({ model: 'm', variant: 'canary', version: 2, revision: 1, forced: false }, 'binary_classifier', 1, 0);
    t.recordLabel({ model: 'r', variant: 'stable', version: 1, revision: 1, forced: false }, 'regressor', 10, 7);
    t.recordLabel({ model: 'r', variant: 'stable', version: 1, revision: 1, forced: false }, 'regressor', 10, 11);
    const c = (await t.window('m', { from: 0 })).get('canary')!.stats;
    assert.equal(c.labelled, 2);
    assert.equal(c.correct, 1);
    const r = (await t.window('r', { from: 0 })).get('stable')!.stats;
    assert.equal(r.absError.mean, 2);
    assert.equal(r.squaredError, 10);
  });
});

describe('telemetry across processes', () => {
  it('never overwrites or hides another process\'s rows for the same bucket (restart, replicas)', async () => {
    const { make } = setup();
    const first = make();
    for (let i = 0; i < 30; i++) first.record(base);
    await first.flush();
    const second = make();
    for (let i = 0; i < 12; i++) second.record(base);
    assert.equal((await second.window('m', { from: 0 })).get('stable')!.stats.requests, 42, 'before the second flush');
    await second.flush();
    assert.equal((await second.window('m', { from: 0 })).get('stable')!.stats.requests, 42, 'after the second flush');
    assert.equal((await make().window('m', { from: 0 })).get('stable')!.stats.requests, 42, 'seen by a third process');
  });
});

describe('prediction log flush', () => {
  const entry = (requestId: string): PredictionLogEntry => ({ requestId, row: 0, model: 'm', variant: 'stable', version: 1, revision: 1, forced: false, createdAt: Date.now(), prediction: 1, probability: 0.5, label: null, labelledAt: null });
  /** The SQLite store with its append wrapped, to watch or break the writes. */
  /** Rows in the log, by the SQLite store's own count. */
  const logged = (db: ReturnType<typeof setup>['db']) => db.prepare('SELECT COALESCE(SUM(rows), 0) FROM prediction_chunks').pluck().get() as number;
  const withAppend = (store: SqlitePredictionLogStore, append: (entries: readonly PredictionLogEntry[]) => Promise<void>): SqlitePredictionLogStore =>
    Object.assign(Object.create(store) as SqlitePredictionLogStore, { append });

  it('writes everything appended so far, even when a flush is already under way', async () => {
    const { db } = setup();
    const log = new PredictionLog({ store: new SqlitePredictionLogStore(db), retentionMs: 3_600_000, maxRows: 1_000_000 });
    for (let i = 0; i < 2500; i++) log.append(entry(`r${i}`));
    const first = log.flush();
    for (let i = 2500; i < 2600; i++) log.append(entry(`r${i}`));
    await log.flush();
    await first;
    assert.equal(log.queued, 0);
    assert.equal(logged(db), 2600);
  });

  it('writes in the background only full chunks of 256 rows; a flush writes the rest', async () => {
    const { db } = setup();
    const store = new SqlitePredictionLogStore(db);
    const chunks: number[] = [];
    const counting = withAppend(store, async (entries) => {
      chunks.push(entries.length);
      await store.append(entries);
    });
    const log = new PredictionLog({ store: counting, retentionMs: 3_600_000, maxRows: 1_000_000 });
    // Rows arrive a few per event-loop turn, as requests do under load.
    for (let i = 0; i < 700; i++) {
      log.append(entry(`c${i}`));
      if (i % 7 === 6) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(chunks, [256, 256], 'two full chunks written in the background, none partial');
    assert.equal(log.queued, 700 - 512);
    await log.flush();
    assert.deepEqual(chunks, [256, 256, 188]);
    assert.equal(logged(db), 700);
  });

  it('keeps a chunk whose write failed and writes it on the next flush, nothing lost or doubled', async () => {
    const { db } = setup();
    const store = new SqlitePredictionLogStore(db);
    let failNext = true;
    const flaky = withAppend(store, async (entries) => {
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      await store.append(entries);
    });
    const log = new PredictionLog({ store: flaky, retentionMs: 3_600_000, maxRows: 1_000_000 });
    for (let i = 0; i < 300; i++) log.append(entry(`f${i}`));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(log.queued, 300, 'the failed chunk is still queued');
    await log.flush();
    assert.equal(log.queued, 0);
    assert.equal(logged(db), 300);
    assert.equal((await store.find(Array.from({ length: 300 }, (_, i) => ({ requestId: `f${i}`, row: 0 })))).length, 300);
  });

  it('drops and counts rows beyond maxQueued instead of growing without bound, and takes rows again once written', async () => {
    const { db } = setup();
    let dropped = 0;
    const store = new SqlitePredictionLogStore(db);
    const log = new PredictionLog({ store, retentionMs: 3_600_000, maxRows: 1_000_000, maxQueued: 100, onDrop: () => dropped++ });
    for (let i = 0; i < 130; i++) log.append(entry(`d${i}`));
    assert.equal(log.queued, 100);
    assert.equal(dropped, 30);
    await log.flush();
    log.append(entry('d1000'));
    await log.flush();
    assert.equal(dropped, 30);
    assert.equal(logged(db), 101);
    const ids = (await store.find(Array.from({ length: 1001 }, (_, i) => ({ requestId: `d${i}`, row: 0 })))).map((e) => e.requestId);
    assert.ok(ids.includes('d99') && ids.includes('d1000') && !ids.includes('d100'), 'the first 100 and the one after the flush were kept');
  });
});
