/**
 * The prediction log's writer thread: inserts the rows the main thread sends, on its own SQLite
 * connection, and acknowledges each batch once it is committed. See WorkerPredictionLogStore.
 */
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { logRowWriter, type LogRow } from './prediction-log-rows.js';

/** Rows go as arrays of column values: the structured clone of those is cheaper than JSON text. */
export type WriterRequest = { readonly id: number; readonly rows: LogRow[] } | { readonly id: number; readonly close: true };
export type WriterReply = { readonly id: number; readonly error?: string };

const { file } = workerData as { file: string };
const db = new Database(file);
// The main thread opened (and migrated) the file; this connection only adds rows to one table.
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const write = logRowWriter(db);
const port = parentPort!;

port.on('message', (msg: WriterRequest) => {
  if ('close' in msg) {
    db.close();
    port.postMessage({ id: msg.id } satisfies WriterReply);
    port.close();
    return;
  }
  try {
    write(msg.rows);
    port.postMessage({ id: msg.id } satisfies WriterReply);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WriterReply);
  }
});
