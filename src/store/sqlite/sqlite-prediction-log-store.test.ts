import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { requestIdTimePrefix, type PredictionLogEntry } from '../../domain/index.js';
import { migrate, SQLITE_SCHEMA_VERSION } from './migrations.js';
import { PURGE_SLICE_CHUNKS } from './prediction-log-chunks.js';
import { SLOT_MS } from './prediction-log-codec.js';
import { openDatabase } from './sqlite-database.js';
import { SqlitePredictionLogStore } from './sqlite-telemetry-store.js';

const dir = mkdtempSync(join(tmpdir(), 'coalmine-log-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
/** A UUIDv7 made at `ms`, as the service makes them; `n` tells apart ids of the same millisecond. */
const idAt = (ms: number, n = 0) => `${requestIdTimePrefix(ms)}-7000-8000-${n.toString(16).padStart(12, '0')}`;

// The service makes the id before the model call and stamps created_at after it, so created_at
// trails the id's time by the call's latency.
const entry = (idMs: number, createdAt = idMs, row = 0, n = 0): PredictionLogEntry => ({
  requestId: idAt(idMs, n),
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

describe('SQLite prediction log', () => {
  it('finds every row it was given, among many in the same slot and in others, and no row it was not', async () => {
    const { db, store } = open('find.db');
    // 2,000 predictions over 100 ms: about 200 in each 10 ms slot, as at 20,000 a second.
    const rows = Array.from({ length: 2000 }, (_, i) => ({ ...entry(T0 + (i >> 4) * 0.8 + (i % 7), T0 + 200, i % 3, i), variant: i % 5 ? ('stable' as const) : ('canary' as const) }));
    for (let i = 0; i < rows.length; i += 256) await store.append(rows.slice(i, i + 256));
    const found = await store.find(rows);
    assert.equal(found.length, rows.length);
    assert.deepEqual(found[1234], rows[1234]);
    assert.deepEqual(await store.find([{ requestId: idAt(T0, 99_999), row: 0 }, { requestId: rows[5]!.requestId, row: 9 }, { requestId: 'nope', row: 0 }]), []);
    db.close();
  });

  it('writes the same rows twice as once (a write the thread made before it died, sent again)', async () => {
    const { db, store } = open('twice.db');
    const rows = Array.from({ length: 300 }, (_, i) => entry(T0 + i, T0 + 400, 0, i));
    await store.append(rows);
    await store.append(rows);
    assert.equal((db.prepare('SELECT SUM(rows) AS n FROM prediction_chunks').get() as { n: number }).n, 300);
    assert.equal((await store.find(rows)).length, 300);
    db.close();
  });

  it('labels a row once, never one that came with its label, and reads labels back with the row', async () => {
    const { db, store } = open('labels.db');
    const plain = entry(T0);
    const carried = { ...entry(T0 + 1), label: 0, labelledAt: T0 + 1 };
    await store.append([plain, carried]);
    const key = { requestId: plain.requestId, row: 0 };
    const done = await store.setLabels([
      { ...key, label: 'yes', at: T0 + 50 },
      { ...key, label: 'no', at: T0 + 51 },
      { requestId: carried.requestId, row: 0, label: 1, at: T0 + 52 },
      { requestId: idAt(T0 + 2), row: 0, label: 1, at: T0 + 53 },
    ]);
    assert.deepEqual(done, [{ ...key, label: 'yes', at: T0 + 50 }]);
    assert.deepEqual(await store.setLabels([{ ...key, label: 'again', at: T0 + 60 }]), []);
    const [a, b] = await store.find([key, { requestId: carried.requestId, row: 0 }]);
    assert.deepEqual(a, { ...plain, label: 'yes', labelledAt: T0 + 50 });
    assert.deepEqual(b, carried);
    db.close();
  });
});

describe('SQLite prediction log retention', () => {
  it('drops the rows created before the cutoff, judged by created_at, a slot at a time', async () => {
    const { db, store } = open('age.db');
    const rows = [
      entry(T0),
      entry(T0, T0, 1),
      entry(T0 + 4_000),
      // Made before the cutoff but answered after it: kept, since created_at is what retention means.
      entry(T0 + 4_980, T0 + 5_002),
      // Created before the cutoff, but in the slot of a row that is not: kept with it.
      entry(T0 + 4_990, T0 + 4_991),
      entry(T0 + 4_991, T0 + 5_001, 0, 1),
      entry(T0 + 5_000),
      entry(T0 + 9_000),
    ];
    await store.append(rows);
    assert.equal(await store.purge(T0 + 5_000, 1_000), 3);
    assert.deepEqual(await kept(store, rows), ['4991#0', '5000#0', '5001#0', '5002#0', '9000#0']);
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

  it('drops the labels of the rows it drops, and keeps the others', async () => {
    const { db, store } = open('label-purge.db');
    const rows = [entry(T0), entry(T0 + 1_000), entry(T0 + 2_000)];
    await store.append(rows);
    assert.equal((await store.setLabels(rows.map((r) => ({ requestId: r.requestId, row: 0, label: 1, at: T0 + 3_000 })))).length, 3);
    assert.equal(await store.purge(T0 + 1_500, 1_000), 2);
    const labels = db.prepare('SELECT request_id FROM prediction_labels').pluck().all();
    assert.deepEqual(labels, [rows[2]!.requestId]);
    assert.equal((await store.find(rows))[0]!.label, 1);
    assert.equal(await store.purge(T0 + 10_000, 1_000), 1);
    assert.deepEqual(db.prepare('SELECT request_id FROM prediction_labels').all(), []);
    db.close();
  });

  it('deletes a backlog larger than one slice in slices, with event-loop turns between them', async () => {
    const { db, store } = open('backlog.db');
    const old = Array.from({ length: 2 * PURGE_SLICE_CHUNKS + 50 }, (_, i) => entry(T0 + i * SLOT_MS));
    const fresh = Array.from({ length: 10 }, (_, i) => entry(T0 + 1_000_000 + i * SLOT_MS));
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

  it('announces no schema change for a new file', () => {
    const notices: string[] = [];
    openDatabase(join(dir, 'fresh.db'), 'NORMAL', (from, to) => notices.push(`${from}->${to}`)).close();
    assert.deepEqual(notices, []);
  });

  it('looks up and purges through the slot index, with no per-row index for the writer to keep up', () => {
    const { db } = open('plan.db');
    const plan = (sql: string, ...args: unknown[]) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...args)
        .map((r) => (r as { detail: string }).detail)
        .join('\n');
    assert.match(plan('SELECT data FROM prediction_chunks WHERE slot = ?', 1), /SEARCH prediction_chunks USING INDEX prediction_chunks_slot \(slot=\?\)/);
    assert.match(
      plan(`SELECT id FROM prediction_chunks WHERE slot < ? AND max_created_at < ? ORDER BY slot LIMIT ${PURGE_SLICE_CHUNKS}`, 1, 1),
      /SEARCH prediction_chunks USING INDEX prediction_chunks_slot \(slot<\?\)/,
    );
    db.close();
  });

  it('upgrades a data directory that logged a row per prediction, keeping every row and label', async () => {
    const file = join(dir, 'schema4.db');
    const old = new Database(file);
    migrate(old, 4);
    const insert = old.prepare('INSERT INTO prediction_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    old.transaction(() => {
      for (let i = 0; i < 5000; i++) {
        const labelled = i % 1000 === 7;
        insert.run(idAt(T0 + i, i), i % 2, 'iris', i % 5 ? 'stable' : 'canary', 3, 9, i % 3 === 0 ? 1 : 0, T0 + i + 2, JSON.stringify(i % 4 ? 'setosa' : 2), i % 6 ? 0.25 : null, labelled ? JSON.stringify('virginica') : null, labelled ? T0 + 9_000 : null);
      }
    })();
    old.close();
    const notices: string[] = [];
    const db = openDatabase(file, 'NORMAL', (from, to) => notices.push(`${from}->${to}`));
    const store = new SqlitePredictionLogStore(db);
    // Each step is announced, the prediction log's move (4 -> 5) and every later one.
    assert.deepEqual(notices, Array.from({ length: SQLITE_SCHEMA_VERSION - 4 }, (_, i) => `${4 + i}->${5 + i}`), 'the upgrade is announced');
    assert.equal(db.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION);
    assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE name = 'prediction_log'").all(), []);
    const keys = Array.from({ length: 5000 }, (_, i) => ({ requestId: idAt(T0 + i, i), row: i % 2 }));
    const found = await store.find(keys);
    assert.equal(found.length, 5000);
    assert.deepEqual(found[1007], {
      requestId: idAt(T0 + 1007, 1007),
      row: 1,
      model: 'iris',
      variant: 'stable',
      version: 3,
      revision: 9,
      forced: false,
      createdAt: T0 + 1009,
      prediction: 'setosa',
      probability: 0.25,
      label: 'virginica',
      labelledAt: T0 + 9_000,
    });
    assert.deepEqual({ ...found[3000]!, requestId: '' }, { ...found[3000]!, requestId: '', prediction: 2, forced: true, probability: null, label: null, labelledAt: null });
    assert.deepEqual(await store.setLabels([{ ...keys[1007]!, label: 'setosa', at: 1 }]), []);
    db.close();
  });
});

describe('requestIdTimePrefix', () => {
  it('takes labels while another connection keeps committing (a deferred read-then-write failed with SQLITE_BUSY_SNAPSHOT)', async () => {
    const { db, store } = open('busy.db');
    db.exec('CREATE TABLE noise (k INTEGER PRIMARY KEY, v INTEGER)');
    const rows = Array.from({ length: 1500 }, (_, i) => entry(T0 + i * 0.1, T0 + 200, 0, i));
    for (let i = 0; i < rows.length; i += 256) await store.append(rows.slice(i, i + 256));
    // Another connection, on a thread of its own as the log's writer and a second worker are, commits all the while.
    const stop = new SharedArrayBuffer(4);
    const writer = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const Database = require(workerData.lib);
       const db = new Database(workerData.file);
       db.pragma('busy_timeout = 5000');
       const put = db.prepare('INSERT OR REPLACE INTO noise (k, v) VALUES (?, ?)');
       const flag = new Int32Array(workerData.stop);
       let n = 0;
       parentPort.postMessage('started');
       while (Atomics.load(flag, 0) === 0) put.run(n % 64, n++);
       db.close();
       parentPort.postMessage(n);`,
      { eval: true, workerData: { file: join(dir, 'busy.db'), lib: createRequire(import.meta.url).resolve('better-sqlite3'), stop } },
    );
    await new Promise((resolve) => writer.once('message', resolve));
    const failures: string[] = [];
    let labelled = 0;
    for (const r of rows) {
      try {
        labelled += (await store.setLabels([{ requestId: r.requestId, row: r.row, label: 1, at: T0 + 500 }])).length;
      } catch (err) {
        failures.push((err as { code?: string }).code ?? String(err));
      }
      await nextTurn();
    }
    const commits = new Promise<number>((resolve) => writer.once('message', resolve));
    Atomics.store(new Int32Array(stop), 0, 1);
    const committed = await commits;
    db.close();
    assert.ok(committed > 1000, `the other connection committed throughout (${committed} commits)`);
    assert.deepEqual(failures.slice(0, 3), [], `${failures.length} of ${rows.length} label transactions failed`);
    assert.equal(labelled, rows.length, 'every row took its label');
  });

  it('sorts every id made earlier below it and every id made at or after it above', () => {
    const cut = requestIdTimePrefix(T0 + 1);
    assert.ok(idAt(T0, 0xffff_ffff) < cut);
    assert.ok(idAt(T0 + 1) > cut);
    assert.ok(idAt(T0 + 2) > cut);
    assert.equal(requestIdTimePrefix(0x0123_4567_89ab), '01234567-89ab');
  });
});
