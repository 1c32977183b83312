import type Database from 'better-sqlite3';
import type { PredictionLogEntry } from '../../domain/index.js';

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
