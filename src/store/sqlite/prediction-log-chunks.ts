import type Database from 'better-sqlite3';
import { requestIdTimePrefix, type Label, type PredictionLogEntry } from '../../domain/index.js';
import type { PredictionKey } from '../telemetry-store.js';
import { findLogRow, SLOT_MS, slotOf, splitBySlot } from './prediction-log-codec.js';

/*
 * The prediction log on disk: one SQLite row per chunk of packed rows (prediction-log-codec.ts)
 * whose request ids fall in the same SLOT_MS of UUIDv7 time, and a table of the labels that
 * feedback adds later. A SQLite row per prediction cost the writer thread ~5.5 µs of B-tree work
 * per prediction, CPU the event loop and the load share on two cores; a chunk costs a few µs
 * per ~100 predictions. A lookup by request id reads the chunks of one slot (the ids of 10 ms of
 * traffic) and walks them without decoding the rows it skips.
 */

const encodeLabel = (v: Label): string => JSON.stringify(v);
const decodeLabel = (s: string): Label => JSON.parse(s) as Label;
const keyOf = (k: PredictionKey): string => `${k.requestId}#${k.row}`;

/** Writes packed rows, a chunk per slot, in one transaction. A chunk already written (same slot and first row) is kept as it was, so writing the same rows again adds nothing. */
export function chunkWriter(db: Database.Database): (data: Uint8Array) => void {
  const insert = db.prepare<[number, string, number, number, number, Buffer]>(
    'INSERT OR IGNORE INTO prediction_chunks (slot, first_request_id, first_row, rows, max_created_at, data) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return db.transaction((data: Uint8Array) => {
    for (const c of splitBySlot(data)) insert.run(c.slot, c.firstRequestId, c.firstRow, c.rows, c.maxCreatedAt, c.data);
  });
}

/** Finds logged rows by key (in the keys' order), with the label feedback gave them if the prediction carried none. */
export function logReader(db: Database.Database): (keys: readonly PredictionKey[]) => PredictionLogEntry[] {
  const inSlot = db.prepare<[number], Buffer>('SELECT data FROM prediction_chunks WHERE slot = ?').pluck();
  const labelOf = db.prepare<[string, number], { label: string; labelled_at: number }>('SELECT label, labelled_at FROM prediction_labels WHERE request_id = ? AND row = ?');
  return (keys) => {
    // A slot's chunks are read once for all its keys, and let go before the next slot's: a batch
    // of feedback for predictions spread over hours would otherwise hold thousands of them.
    const bySlot = new Map<number, number[]>();
    keys.forEach((k, i) => {
      const slot = slotOf(k.requestId);
      const list = bySlot.get(slot);
      if (list === undefined) bySlot.set(slot, [i]);
      else list.push(i);
    });
    const found: (PredictionLogEntry | undefined)[] = new Array(keys.length);
    for (const [slot, indexes] of bySlot) {
      const chunks = inSlot.all(slot);
      for (const i of indexes) {
        const k = keys[i]!;
        const id = Buffer.from(k.requestId, 'utf8');
        let entry: PredictionLogEntry | undefined;
        for (let c = 0; c < chunks.length && entry === undefined; c++) entry = findLogRow(chunks[c]!, id, k.row);
        if (entry?.label === null) {
          const l = labelOf.get(k.requestId, k.row);
          if (l !== undefined) entry = { ...entry, label: decodeLabel(l.label), labelledAt: l.labelled_at };
        }
        found[i] = entry;
      }
    }
    return found.filter((e): e is PredictionLogEntry => e !== undefined);
  };
}

/**
 * Labels rows that are logged and have no label yet, in one transaction; returns the keys that took their label.
 * BEGIN IMMEDIATE, as every SQLite transaction here that reads before it writes: a deferred one
 * reads on a snapshot, and if another connection commits before its first write (the log's writer
 * thread, a second worker's telemetry flush) SQLite fails that write at once with
 * SQLITE_BUSY_SNAPSHOT, without waiting out busy_timeout. IMMEDIATE takes the write lock first,
 * waiting for it as any write does.
 */
export function labelWriter(db: Database.Database): (labels: readonly (PredictionKey & { label: Label; at: number })[]) => PredictionKey[] {
  const find = logReader(db);
  const insert = db.prepare<[string, number, string, number]>('INSERT OR IGNORE INTO prediction_labels (request_id, row, label, labelled_at) VALUES (?, ?, ?, ?)');
  const label = db.transaction((labels: readonly (PredictionKey & { label: Label; at: number })[]) => {
    const open = new Set(find(labels).filter((e) => e.label === null).map(keyOf));
    return labels.filter((l) => open.has(keyOf(l)) && insert.run(l.requestId, l.row, encodeLabel(l.label), l.at).changes === 1);
  });
  return (labels) => label.immediate(labels);
}

/** Chunks deleted per statement: at most ~16,000 rows, a few milliseconds, so no purge holds the write lock (or a thread) for long. */
export const PURGE_SLICE_CHUNKS = 64;
/** Labels deleted per statement. */
const PURGE_SLICE_LABELS = 1000;

/** Called between slices; resolves false to stop the purge early (the writer is closing). */
export type PurgePause = () => Promise<boolean>;

/**
 * Retention for the log: chunks whose rows were all created before `beforeMs`, then the oldest
 * beyond `maxRows` rows, then the labels of rows no longer kept. All in slices with a pause
 * between them: one DELETE for all of it held SQLite's write lock, and the thread it ran on, for
 * as long as the whole deletion took (the 300,000 rows ten minutes of traffic put beyond the cap
 * took about a second as single rows). A chunk goes as a whole, so a row can outlive the cutoff
 * by as long as the slowest request of its slot took; the cap is kept to the slot.
 */
export function logPurger(db: Database.Database): (beforeMs: number, maxRows: number, pause: PurgePause) => Promise<number> {
  // A chunk of slot s holds ids made from s * SLOT_MS on, and a row is created after its id, so
  // slots from ceil(beforeMs / SLOT_MS) on cannot be all older than the cutoff.
  const expired = db
    .prepare<[number, number], number>(
      `DELETE FROM prediction_chunks WHERE id IN (
         SELECT id FROM prediction_chunks WHERE slot < ? AND max_created_at < ? ORDER BY slot LIMIT ${PURGE_SLICE_CHUNKS}) RETURNING rows`,
    )
    .pluck();
  // The newest slot with more than maxRows rows at or after it: it and every older slot go.
  const capEdge = db
    .prepare<[number], number>('SELECT slot FROM (SELECT slot, SUM(rows) OVER (ORDER BY slot DESC) AS kept FROM prediction_chunks) WHERE kept > ? LIMIT 1')
    .pluck();
  const upTo = db
    .prepare<[number], number>(
      `DELETE FROM prediction_chunks WHERE id IN (
         SELECT id FROM prediction_chunks WHERE slot <= ? ORDER BY slot LIMIT ${PURGE_SLICE_CHUNKS}) RETURNING rows`,
    )
    .pluck();
  const oldestSlot = db.prepare<[], number | null>('SELECT MIN(slot) FROM prediction_chunks').pluck();
  const labelsBefore = db.prepare<[string]>(
    `DELETE FROM prediction_labels WHERE request_id IN (
       SELECT request_id FROM prediction_labels WHERE request_id < ? ORDER BY request_id LIMIT ${PURGE_SLICE_LABELS})`,
  );
  const allLabels = db.prepare(
    `DELETE FROM prediction_labels WHERE request_id IN (SELECT request_id FROM prediction_labels ORDER BY request_id LIMIT ${PURGE_SLICE_LABELS})`,
  );
  const sum = (rows: number[]) => rows.reduce((a, b) => a + b, 0);

  return async (beforeMs, maxRows, pause) => {
    let removed = 0;
    const slices = async (run: () => number[]): Promise<boolean> => {
      for (let rows = run(); rows.length > 0; rows = run()) {
        removed += sum(rows);
        if (!(await pause())) return false;
      }
      return true;
    };
    const cut = Math.ceil(beforeMs / SLOT_MS);
    if (!(await slices(() => expired.all(cut, beforeMs)))) return removed;
    const edge = capEdge.get(maxRows);
    if (edge !== undefined && !(await slices(() => upTo.all(edge)))) return removed;
    // A label belongs to a row whose id is at least as new as its chunk's slot.
    const oldest = oldestSlot.get() ?? null;
    const labels = oldest === null ? () => allLabels.run().changes : () => labelsBefore.run(requestIdTimePrefix(oldest * SLOT_MS)).changes;
    for (let n = labels(); n > 0 && (await pause()); n = labels());
    return removed;
  };
}

/** The pause between purge slices on a thread that serves other work: one turn of its event loop. */
export const nextTurn: PurgePause = () => new Promise((resolve) => setImmediate(() => resolve(true)));
