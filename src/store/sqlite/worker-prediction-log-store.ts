import { Worker } from 'node:worker_threads';
import type { Label, PredictionLogEntry, ShadowComparison } from '../../domain/index.js';
import { toComparisonRow, type ComparisonRow } from '../shadow-store.js';
import type { PredictionKey, PredictionLogStore } from '../telemetry-store.js';
import type { WriterReply, WriterRequest } from './prediction-log-worker.js';
import { encodeLogRows, type PackedLogRows } from './prediction-log-codec.js';
import type { SqlitePredictionLogStore } from './sqlite-telemetry-store.js';

export interface WriterLogger {
  warn(obj: object, msg: string): void;
}

type Body = { readonly packed: PackedLogRows } | { readonly comparisons: readonly ComparisonRow[] } | { readonly purge: { readonly beforeMs: number; readonly maxRows: number } } | { readonly close: true };

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = new URL(`./prediction-log-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

/**
 * Run from source (tests, tsx), the worker is the .ts file next to this one: it registers tsx's
 * loader first, since Node 20 does not always hand the parent's loader to a worker (not under
 * the test runner, for one).
 */
function startWorker(file: string): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER, { workerData: { file } });
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER.href)}); });`;
  return new Worker(boot, { eval: true, workerData: { file } });
}

/**
 * The prediction log with its writes on a thread of their own. Every prediction adds a row, and
 * writing it was the largest cost left on the event loop after the model call; the main thread
 * now only packs the rows into a buffer (prediction-log-codec.ts) and hands it over, and the
 * thread stores them a chunk per slot (prediction-log-chunks.ts). Reads and labels are rare and
 * need answers, so they stay on the main connection; retention purges, which can delete a large
 * backlog, run on the thread too. WAL lets both connections work on the file.
 *
 * If the thread fails, writes go through the main connection from then on: slower, never lost.
 */
export class WorkerPredictionLogStore implements PredictionLogStore {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (reply: WriterReply) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private failed = false;
  private closing = false;

  constructor(
    file: string,
    private readonly main: SqlitePredictionLogStore,
    private readonly log: WriterLogger,
  ) {
    this.worker = startWorker(file);
    // Idle, the thread must not keep the process alive (an app that failed to start, a CLI that is
    // done); with writes under way, it must.
    this.worker.unref();
    this.worker.on('message', (reply: WriterReply) => {
      const w = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.error === undefined) w?.resolve(reply);
      else w?.reject(new Error(`prediction log write failed: ${reply.error}`));
    });
    this.worker.on('error', (err) => this.fail(err.message));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(`the writer thread exited with code ${code}`);
    });
  }

  private fail(reason: string): void {
    if (this.failed) return;
    this.failed = true;
    this.log.warn({ reason }, 'prediction log writer thread failed; writing on the main thread from now on');
    for (const w of this.waiting.values()) w.reject(new Error(`prediction log writer thread failed: ${reason}`));
    this.waiting.clear();
  }

  private send(body: Body): Promise<WriterReply> {
    const id = this.nextId++;
    return new Promise<WriterReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) this.worker.ref();
      // Packed rows are transferred: the buffer moves to the thread, nothing is copied.
      this.worker.postMessage({ id, ...body } satisfies WriterRequest, 'packed' in body ? [body.packed.buffer] : []);
    });
  }

  /**
   * Runs a request on the thread, or through `fallback` on the main connection once the thread has
   * failed, before or during the request: an error SQLite raised is the caller's, a thread that
   * died is not.
   */
  private async onThread<T>(body: () => Body, answer: (reply: WriterReply) => T, fallback: () => Promise<T>): Promise<T> {
    if (!this.failed) {
      try {
        return answer(await this.send(body()));
      } catch (err) {
        if (!this.failed) throw err;
      }
    }
    return fallback();
  }

  // Rows the thread may have written before it died split into the same chunks again, which the fallback's insert ignores: nothing is doubled.
  append(entries: readonly PredictionLogEntry[]): Promise<void> {
    return this.onThread(
      () => ({ packed: encodeLogRows(entries) }),
      () => undefined,
      () => this.main.append(entries),
    );
  }

  /** A shadow's comparisons, written by the same thread (see SqliteShadowStore); `here` writes them on the main connection once the thread has failed. */
  appendComparisons(rows: readonly ShadowComparison[], here: () => Promise<void>): Promise<void> {
    return this.onThread(
      () => ({ comparisons: rows.map(toComparisonRow) }),
      () => undefined,
      here,
    );
  }

  find(keys: readonly PredictionKey[]): Promise<PredictionLogEntry[]> {
    return this.main.find(keys);
  }

  setLabels(labels: readonly (PredictionKey & { label: Label; at: number })[]): Promise<PredictionKey[]> {
    return this.main.setLabels(labels);
  }

  /**
   * On the thread: a purge of a large backlog deletes hundreds of thousands of rows, and even in
   * slices that is seconds of work the event loop should not do. Writes sent meanwhile go in
   * between the slices.
   */
  purge(beforeMs: number, maxRows: number): Promise<number> {
    return this.onThread(
      () => ({ purge: { beforeMs, maxRows } }),
      (reply) => reply.removed ?? 0,
      () => this.main.purge(beforeMs, maxRows),
    );
  }

  /** Waits for the writes sent so far, then stops the thread. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.failed) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await this.send({ close: true }).catch(() => undefined);
    this.worker.ref(); // until it has exited: the reply to `close` left it unref'd
    await exited;
  }
}
