import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requestIdTimePrefix, type PredictionLogEntry } from '../../domain/index.js';
import { PURGE_SLICE_ROWS } from './prediction-log-rows.js';
import { openDatabase } from './sqlite-database.js';
import { SqlitePredictionLogStore } from './sqlite-telemetry-store.js';
import { WorkerPredictionLogStore } from './worker-prediction-log-store.js';

const dir = mkdtempSync(join(tmpdir(), 'coalmine-log-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

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
    await store.append(Array.from({ length: 300 }, (_, i) => entry(`r-${i}`)));
    await store.append([entry('r-0'), entry('r-1', 1)]); // a row already logged is kept as it was
    const found = await store.find([{ requestId: 'r-0', row: 0 }, { requestId: 'r-299', row: 0 }, { requestId: 'r-1', row: 1 }, { requestId: 'nope', row: 0 }]);
    assert.deepEqual(found.map((e) => `${e.requestId}#${e.row}`).sort(), ['r-0#0', 'r-1#1', 'r-299#0']);
    assert.deepEqual(found.find((e) => e.requestId === 'r-299'), entry('r-299'));
    assert.equal((await store.setLabels([{ requestId: 'r-5', row: 0, label: 1, at: 5 }])).length, 1);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM prediction_log').get() as { n: number }).n, 301);
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
    await store.append([entry('a'), entry('b')]);
    await store.append([entry('c')]);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM prediction_log').get() as { n: number }).n, 3);
    // Purges fall back too: nothing is old enough here, and the cap of one row removes two.
    assert.equal(await store.purge(0, 1), 2);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM prediction_log').get() as { n: number }).n, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /writer thread failed/);
    await store.close();
    db.close();
  });

  it('purges on the thread, in slices, while appends keep landing, and a close stops a purge under way', async () => {
    const file = join(dir, 'purge.db');
    const db = openDatabase(file, 'NORMAL');
    const store = new WorkerPredictionLogStore(file, new SqlitePredictionLogStore(db), { warn: () => undefined });
    const T0 = 1_700_000_000_000;
    const at = (ms: number, n: number): PredictionLogEntry => ({ ...entry(`${requestIdTimePrefix(ms)}-7000-8000-${n.toString(16).padStart(12, '0')}`), createdAt: ms });
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM prediction_log').get() as { n: number }).n;
    await store.append(Array.from({ length: 3 * PURGE_SLICE_ROWS }, (_, i) => at(T0 + i, i)));
    const purged = store.purge(T0 + 2 * PURGE_SLICE_ROWS, 1_000_000);
    const late = store.append([at(T0 + 10_000_000, 1)]);
    assert.equal(await purged, 2 * PURGE_SLICE_ROWS);
    await late;
    assert.equal(count(), PURGE_SLICE_ROWS + 1);
    // Over the cap of 10 rows: the oldest go, as many as it takes.
    assert.equal(await store.purge(T0, 10), PURGE_SLICE_ROWS + 1 - 10);
    assert.equal(count(), 10);

    await store.append(Array.from({ length: 5 * PURGE_SLICE_ROWS }, (_, i) => at(T0 + 20_000_000 + i, i)));
    const stopped = store.purge(T0 + 30_000_000, 1_000_000);
    await store.close();
    const removed = await stopped;
    assert.ok(removed < 5 * PURGE_SLICE_ROWS + 10, `a close stops the purge between slices (removed ${removed})`);
    assert.equal(count(), 5 * PURGE_SLICE_ROWS + 10 - removed);
    db.close();
  });
});
