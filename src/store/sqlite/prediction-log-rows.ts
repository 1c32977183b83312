import type Database from 'better-sqlite3';
import { requestIdTimePrefix, type PredictionLogEntry } from '../../domain/index.js';

/** One prediction-log row as the values of its INSERT, in column order: cheap to send to a worker. */
export type LogRow = [string, number, string, string, number, number, 0 | 1, number, string, number | null, string | null, number | null];

export const encodeValue = (v: number | string): string => JSON.stringify(v);
export const decodeValue = (s: string): number | string => JSON.parse(s) as number | string;

export function toLogRow(e: PredictionLogEntry): LogRow {
  return [
    e.requestId,
    e.row,
    e.model,
    e.variant,
    e.version,
    e.revision,
    e.forced ? 1 : 0,
    e.createdAt,
    encodeValue(e.prediction),
    e.probability,
    e.label === null ? null : encodeValue(e.label),
    e.labelledAt,
  ];
}

/** Writes rows in one transaction; a row already logged (same request and row) is kept as it was. */
export function logRowWriter(db: Database.Database): (rows: readonly LogRow[]) => void {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO prediction_log (request_id, row, model, variant, version, revision, forced, created_at, prediction, probability, label, labelled_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return db.transaction((rows: readonly LogRow[]) => {
    for (const r of rows) insert.run(r);
  });
}

/** Rows deleted per statement: a few milliseconds of work, so no purge holds the write lock (or a thread) for long. */
export const PURGE_SLICE_ROWS = 1000;

/** Called between slices; resolves false to stop the purge early (the writer is closing). */
export type PurgePause = () => Promise<boolean>;

/**
 * Retention for the log: rows created before `beforeMs`, then the oldest beyond `maxRows`, deleted
 * in slices of PURGE_SLICE_ROWS with a pause between them. One DELETE for all of it held SQLite's
 * write lock, and the thread it ran on, for as long as the whole deletion took: the rows ten
 * minutes of traffic put beyond the cap (300,000 at 500 predictions/s) took about a second.
 *
 * The log has no index on created_at (see migrations.ts). Request ids are UUIDv7 and are made
 * before the row's created_at, so a row older than the cutoff has an id below the cutoff's time
 * prefix: the primary key narrows the scan, and created_at keeps the cut exact.
 */
export function logPurger(db: Database.Database): (beforeMs: number, maxRows: number, pause: PurgePause) => Promise<number> {
  const expired = db.prepare<[string, number]>(
    `DELETE FROM prediction_log WHERE request_id IN (
       SELECT request_id FROM prediction_log WHERE request_id < ? AND created_at < ? ORDER BY request_id LIMIT ${PURGE_SLICE_ROWS})`,
  );
  // The newest id beyond the cap: it and every older row go.
  const capEdge = db.prepare<[number], string>('SELECT request_id FROM prediction_log ORDER BY request_id DESC LIMIT 1 OFFSET ?').pluck();
  const upTo = db.prepare<[string]>(
    `DELETE FROM prediction_log WHERE request_id IN (
       SELECT request_id FROM prediction_log WHERE request_id <= ? ORDER BY request_id LIMIT ${PURGE_SLICE_ROWS})`,
  );
  return async (beforeMs, maxRows, pause) => {
    let removed = 0;
    const prefix = requestIdTimePrefix(beforeMs);
    for (let n = expired.run(prefix, beforeMs).changes; n > 0; n = expired.run(prefix, beforeMs).changes) {
      removed += n;
      if (!(await pause())) return removed;
    }
    const edge = capEdge.get(maxRows);
    if (edge === undefined) return removed;
    for (let n = upTo.run(edge).changes; n > 0; n = upTo.run(edge).changes) {
      removed += n;
      if (!(await pause())) return removed;
    }
    return removed;
  };
}

/** The pause between purge slices on a thread that serves other work: one turn of its event loop. */
export const nextTurn: PurgePause = () => new Promise((resolve) => setImmediate(() => resolve(true)));
