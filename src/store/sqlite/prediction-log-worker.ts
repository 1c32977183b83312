/**
 * The prediction log's writer thread: inserts the rows the main thread sends, on its own SQLite
 * connection, and acknowledges each batch once it is committed. See WorkerPredictionLogStore.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeLogRows, type PackedLogRows } from './prediction-log-codec.js';
import { logRowWriter } from './prediction-log-rows.js';
import { openDatabase } from './sqlite-database.js';

/** Rows go packed in a transferred buffer (see prediction-log-codec.ts). */
export type WriterRequest = { readonly id: number; readonly packed: PackedLogRows } | { readonly id: number; readonly close: true };
export type WriterReply = { readonly id: number; readonly error?: string };

const { file } = workerData as { file: string };
// The main thread has migrated the file already, so opening it here finds nothing to migrate.
const db = openDatabase(file, 'NORMAL');
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
    write(decodeLogRows(msg.packed));
    port.postMessage({ id: msg.id } satisfies WriterReply);
  } catch (err) {
    port.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WriterReply);
  }
});
