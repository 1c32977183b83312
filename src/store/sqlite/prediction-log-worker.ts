/**
 * The prediction log's writer thread: writes the rows the main thread sends, on its own SQLite
 * connection, and acknowledges each batch once it is committed. Retention purges run here too,
 * slice by slice, so deleting a backlog never holds the event loop. See WorkerPredictionLogStore.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { packedBytes, type PackedLogRows } from './prediction-log-codec.js';
import { chunkWriter, logPurger, nextTurn, type PurgePause } from './prediction-log-chunks.js';
import { openDatabase } from './sqlite-database.js';
import { COMPARISON_COLUMNS, type ComparisonRow } from '../shadow-store.js';

/** Rows go packed in a transferred buffer (see prediction-log-codec.ts). */
export type WriterRequest =
  | { readonly id: number; readonly packed: PackedLogRows }
  | { readonly id: number; readonly comparisons: readonly ComparisonRow[] }
  | { readonly id: number; readonly purge: { readonly beforeMs: number; readonly maxRows: number } }
  | { readonly id: number; readonly close: true };
/** `removed` answers a purge. */
export type WriterReply = { readonly id: number; readonly error?: string; readonly removed?: number };

const { file } = workerData as { file: string };
// The main thread has migrated the file already, so opening it here finds nothing to migrate.
const db = openDatabase(file, 'NORMAL');
const write = chunkWriter(db);
const purge = logPurger(db);
// A shadow's comparisons, one row each: ~20 µs of binding and B-tree work per row that the event loop need not do.
const insertComparison = db.prepare(`INSERT OR IGNORE INTO shadow_comparisons (${COMPARISON_COLUMNS.join(', ')}) VALUES (${COMPARISON_COLUMNS.map(() => '?').join(', ')})`);
const writeComparisons = db.transaction((rows: readonly ComparisonRow[]) => {
  for (const r of rows) insertComparison.run(COMPARISON_COLUMNS.map((c) => r[c]));
});
const port = parentPort!;
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

// Inserts that arrive during a purge run between its slices; purges run one after another, and
// a close stops the one under way at its next slice.
let closing = false;
let purges: Promise<void> = Promise.resolve();
const pause: PurgePause = () => (closing ? Promise.resolve(false) : nextTurn());

port.on('message', (msg: WriterRequest) => {
  if ('close' in msg) {
    closing = true;
    void purges.then(() => {
      db.close();
      port.postMessage({ id: msg.id } satisfies WriterReply);
      port.close();
    });
    return;
  }
  if ('purge' in msg) {
    const { beforeMs, maxRows } = msg.purge;
    purges = purges.then(async () => {
      try {
        const removed = closing ? 0 : await purge(beforeMs, maxRows, pause);
        port.postMessage({ id: msg.id, removed } satisfies WriterReply);
      } catch (err) {
        port.postMessage({ id: msg.id, error: errorText(err) } satisfies WriterReply);
      }
    });
    return;
  }
  try {
    if ('comparisons' in msg) writeComparisons(msg.comparisons);
    else write(packedBytes(msg.packed));
    port.postMessage({ id: msg.id } satisfies WriterReply);
  } catch (err) {
    port.postMessage({ id: msg.id, error: errorText(err) } satisfies WriterReply);
  }
});
