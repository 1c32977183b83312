import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requestIdTimePrefix, type PredictionLogEntry } from '../../domain/index.js';
import { openDatabase } from './sqlite-database.js';
import { PURGE_SLICE_ROWS } from './prediction-log-rows.js';
import { SqlitePredictionLogStore } from './sqlite-telemetry-store.js';

const dir = mkdtempSync(join(tmpdir(), 'coalmine-log-purge-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
/** A UUIDv7 made at `ms`, as the service makes them; `n` tells apart ids of the same millisecond. */
const idAt = (ms: number, n = 0) => `${requestIdTimePrefix(ms)}-7000-8000-${n.toString(16).padStart(12, '0')}`;

// The service makes the id before the model call and stamps created_at after it, so created_at
// trails the id's time by the call's latency.
const entry = (idMs: number, createdAt = idMs, row = 0): PredictionLogEntry => ({
  requestId: idAt(idMs),
  row,
  model: 'churn',
  variant: 'stable',
  version: 1,
  revision: 1,
  forced: false,
  createdAt,
  prediction: 1,
  probability: 0.5,
  label: null,
  labelledAt: null,
});

function open(name: string) {
  const db = openDatabase(join(dir, name), 'NORMAL');
  return { db, store: new SqlitePredictionLogStore(db) };
}

/** The rows of `entries` still in the log, as `created_at − T0 # row`. */
const kept = async (store: SqlitePredictionLogStore, entries: readonly PredictionLogEntry[]) =>
  (await store.find(entries)).map((e) => `${e.createdAt - T0}#${e.row}`).sort();

describe('SQLite prediction log retention', () => {
  it('drops exactly the rows created before the cutoff, judged by created_at, not the id time', async () => {
    const { db, store } = open('age.db');
    const rows = [
      entry(T0),
      entry(T0, T0, 1),
      entry(T0 + 4_000),
      // Made before the cutoff but answered after it: kept, since created_at is what retention means.
      entry(T0 + 4_999, T0 + 5_002),
      entry(T0 + 5_000),
      entry(T0 + 9_000),
    ];
    await store.append(rows);
    assert.equal(await store.purge(T0 + 5_000, 1_000), 3);
    assert.deepEqual(await kept(store, rows), ['5000#0', '5002#0', '9000#0']);
    db.close();
  });

  it('then drops the oldest rows beyond the row cap', async () => {
    const { db, store } = open('cap.db');
    const rows = Array.from({ length: 10 }, (_, i) => entry(T0 + i * 1_000));
    await store.append(rows);
    assert.equal(await store.purge(T0 + 2_000, 5), 2 + 3);
    assert.deepEqual(await kept(store, rows), ['5000#0', '6000#0', '7000#0', '8000#0', '9000#0']);
    assert.equal(await store.purge(T0, 5), 0);
    db.close();
  });

  it('deletes a backlog larger than one slice in slices, with event-loop turns between them', async () => {
    const { db, store } = open('backlog.db');
    const old = Array.from({ length: 2 * PURGE_SLICE_ROWS + 500 }, (_, i) => entry(T0 + i));
    const fresh = Array.from({ length: 10 }, (_, i) => entry(T0 + 1_000_000 + i));
    await store.append([...old, ...fresh]);
    let turns = 0;
    let purging = true;
    const tick = () => {
      turns++;
      if (purging) setImmediate(tick);
    };
    setImmediate(tick);
    const removed = await store.purge(T0 + 1_000_000, 5);
    purging = false;
    assert.equal(removed, old.length + 5);
    assert.ok(turns >= 3, `the event loop ran ${turns} times during a purge of ${removed} rows; expected one turn per slice`);
    assert.deepEqual((await kept(store, fresh)).length, 5);
    db.close();
  });

  it('purges by a primary-key range, with no second index for the writer to keep up', () => {
    const { db } = open('plan.db');
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'prediction_log' AND sql IS NOT NULL").all();
    assert.deepEqual(indexes, []);
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN SELECT request_id FROM prediction_log WHERE request_id < ? AND created_at < ? ORDER BY request_id LIMIT ${PURGE_SLICE_ROWS}`)
      .all('x', 1)
      .map((r) => (r as { detail: string }).detail)
      .join('\n');
    assert.match(plan, /SEARCH prediction_log USING PRIMARY KEY \(request_id<\?\)/);
    db.close();
  });

  it('upgrades a data directory made before the index was dropped', () => {
    const file = join(dir, 'old.db');
    const first = openDatabase(file, 'NORMAL');
    // Put the file back as the previous schema left it: the created_at index and user_version 3.
    first.exec('CREATE INDEX prediction_log_created ON prediction_log(created_at)');
    first.pragma('user_version = 3');
    first.close();
    const db = openDatabase(file, 'NORMAL');
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE name = 'prediction_log_created'").all(), []);
    assert.equal(db.pragma('user_version', { simple: true }), 4);
    db.close();
  });
});

describe('requestIdTimePrefix', () => {
  it('sorts every id made earlier below it and every id made at or after it above', () => {
    const cut = requestIdTimePrefix(T0 + 1);
    assert.ok(idAt(T0, 0xffff_ffff) < cut);
    assert.ok(idAt(T0 + 1) > cut);
    assert.ok(idAt(T0 + 2) > cut);
    assert.equal(requestIdTimePrefix(0x0123_4567_89ab), '01234567-89ab');
  });
});
