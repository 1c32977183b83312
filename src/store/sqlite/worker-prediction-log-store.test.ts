import assert from 'node:assert/strict';
import type Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requestIdTimePrefix, type PredictionLogEntry } from '../../domain/index.js';
import { PURGE_SLICE_CHUNKS } from './prediction-log-chunks.js';
import { SLOT_MS } from './prediction-log-codec.js';
import { openDatabase } from './sqlite-database.js';
import { SqlitePredictionLogStore } from './sqlite-telemetry-store.js';
import { WorkerPredictionLogStore } from './worker-prediction-log-store.js';

const dir = mkdtempSync(join(tmpdir(), 'coalmine-log-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
/** A UUIDv7 made at `ms`; `n` tells apart ids of the same millisecond. */
const idAt = (ms: number, n = 0) => `${requestIdTimePrefix(ms)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
const rowsIn = (db: Database.Database) => db.prepare('SELECT COALESCE(SUM(rows), 0) FROM prediction_chunks').pluck().get() as number;

const entry = (requestId: string, row = 0): PredictionLogEntry => ({
  requestId,
  row,
  model: 'churn',
  variant: 'canary',
  version: 2,
  revision: 7,
  forced: false,
  createdAt: 1_700_000_000_000,
  prediction: 1,
  probability: 0.75,
  label: null,
  labelledAt: null,
});

describe('prediction log writer thread', () => {
  it('writes on its own thread what the main connection then reads and labels, and closes cleanly', async () => {
    const file = join(dir, 'ok.db');
    const db = openDatabase(file, 'NORMAL');
    const warnings: string[] = [];
    const store = new WorkerPredictionLogStore(file, new SqlitePredictionLogStore(db), { warn: (_o, m) => warnings.push(m) });
    const rows = Array.from({ length: 300 }, (_, i) => entry(idAt(T0 + i / 20, i), i % 2));
    await store.append(rows);
    await store.append(rows); // the same rows sent again (the thread died before it answered) add nothing
    const found = await store.find([{ requestId: idAt(T0, 0), row: 0 }, { requestId: idAt(T0 + 299 / 20, 299), row: 1 }, { requestId: idAt(T0, 0), row: 1 }]);
    assert.deepEqual(found, [rows[0], rows[299]]);
    assert.equal((await store.setLabels([{ requestId: idAt(T0 + 5 / 20, 5), row: 1, label: 1, at: 5 }])).length, 1);
    assert.equal(rowsIn(db), 300);
    await store.close();
    assert.deepEqual(warnings, []);
    db.close();
  });

  it('falls back to the main connection when the thread cannot run, losing nothing', async () => {
    const file = join(dir, 'fallback.db');
    const db = openDatabase(file, 'NORMAL');
    const warnings: string[] = [];
    // The thread is pointed at a directory, which SQLite cannot open, so it fails at start.
    const store = new WorkerPredictionLogStore(dir, new SqlitePredictionLogStore(db), { warn: (_o, m) => warnings.push(m) });
    await store.append([entry(idAt(T0)), entry(idAt(T0 + 1_000))]);
    await store.append([entry(idAt(T0 + 2_000))]);
    assert.equal(rowsIn(db), 3);
    // Purges fall back too: nothing is old enough here, and the cap of one row removes two.
    assert.equal(await store.purge(0, 1), 2);
    assert.equal(rowsIn(db), 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /writer thread failed/);
    await store.close();
    db.close();
  });

  it('purges on the thread, in slices, while appends keep landing, and a close stops a purge under way', async () => {
    const file = join(dir, 'purge.db');
    const db = openDatabase(file, 'NORMAL');
    const store = new WorkerPredictionLogStore(file, new SqlitePredictionLogStore(db), { warn: () => undefined });
    // One row per slot, so that each chunk is a row and slices are easy to count.
    const at = (ms: number, n: number): PredictionLogEntry => ({ ...entry(idAt(ms, n)), createdAt: ms });
    const N = PURGE_SLICE_CHUNKS;
    await store.append(Array.from({ length: 3 * N }, (_, i) => at(T0 + i * SLOT_MS, i)));
    const purged = store.purge(T0 + 2 * N * SLOT_MS, 1_000_000);
    const late = store.append([at(T0 + 10_000_000, 1)]);
    assert.equal(await purged, 2 * N);
    await late;
    assert.equal(rowsIn(db), N + 1);
    // Over the cap of 10 rows: the oldest go, as many as it takes.
    assert.equal(await store.purge(T0, 10), N + 1 - 10);
    assert.equal(rowsIn(db), 10);

    // The close is sent once the purge is seen under way, with ~100 slices still to go: sent right
    // after the purge, it lost the race in a clean-clone CI run when the main thread was held up
    // while the thread finished a purge of 6 slices (or it wins it before the purge starts).
    const total = 100 * N + 10;
    await store.append(Array.from({ length: 100 * N }, (_, i) => at(T0 + 20_000_000 + i * SLOT_MS, i)));
    const stopped = store.purge(T0 + 30_000_000, 1_000_000);
    // Bounded, so that a purge that never starts fails here instead of hanging the run (the runner sets no timeout).
    const giveUp = Date.now() + 10_000;
    while (rowsIn(db) === total && Date.now() < giveUp) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(rowsIn(db) < total, 'the purge started on the thread within 10 s');
    await store.close();
    const removed = await stopped;
    assert.ok(removed > 0 && removed < total, `a close stops the purge between slices (removed ${removed} of ${total})`);
    assert.equal(rowsIn(db), total - removed);
    db.close();
  });
});
