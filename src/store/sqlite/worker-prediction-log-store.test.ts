import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PredictionLogEntry } from '../../domain/index.js';
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
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /writer thread failed/);
    await store.close();
    db.close();
  });
});
