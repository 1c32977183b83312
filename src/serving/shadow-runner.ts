import { hasFaults, type FaultConfig, type FeatureRow, type Label, type ModelVersion, type Prediction, type ShadowRouting } from '../domain/index.js';
import { FaultInjectingRuntime, scoresSynchronously } from '../runtime/index.js';
import type { ShadowRecorder } from '../telemetry/index.js';
import { CallDeadlines } from './call-deadlines.js';
import type { RuntimePool } from './runtime-pool.js';
import { validateRows } from './validate-rows.js';

/** One answered request to copy to the shadow. */
export interface ShadowJob {
  readonly shadow: ShadowRouting;
  readonly version: ModelVersion;
  readonly model: string;
  readonly requestId: string;
  readonly primaryVersion: ModelVersion;
  readonly rows: readonly FeatureRow[];
  readonly primary: readonly Prediction[];
  readonly primaryLatencyMs: number;
  readonly labels?: readonly (Label | null)[] | undefined;
}

export interface ShadowRunnerOptions {
  readonly pool: RuntimePool;
  readonly recorder: ShadowRecorder;
  /** Shadow calls under way at most; a request sampled beyond it is dropped and counted. */
  readonly maxInFlight: number;
  /** A shadow call that has not answered by then counts as the shadow's error. */
  readonly timeoutMs: number;
  readonly maxBatchRows: number;
  /**
   * Share of sampled requests still shadowed while the event loop is saturated (the rest are
   * shed): 1 never sheds. Default 0.02.
   */
  readonly busyShare?: number;
  /** The event loop's utilization now, 0-1; default: over the last 10 ms (loopUtilization). */
  readonly utilization?: () => number;
  readonly random?: () => number;
  /**
   * How long sampled requests wait to be sent together (ms; 0: the next turn). A shadow is not in
   * anyone's way, so it can wait for company: each call, a model run or an HTTP round trip, has a
   * fixed cost that a batch shares. Default 10.
   */
  readonly batchWindowMs?: number;
  /**
   * The batch window while requests are being shed (ms). Then only a few sampled requests go
   * each window, and a call's fixed cost (a model run, timers, an HTTP round trip) was paid by
   * one or two of them: waiting longer makes each call several requests' again. Default 50.
   */
  readonly shedBatchWindowMs?: number;
  /** Faults injected into the model's shadow (`coalmine fault --variant shadow`), if any. */
  readonly faults?: (model: string) => FaultConfig | undefined;
}

/** How often the event loop's utilization is read for shedding (ms). */
export const UTILIZATION_WINDOW_MS = 10;

/**
 * Event-loop utilization over the last `windowMs` (read at most that often, when a request is
 * offered). Short, because a burst after a quiet spell is read over the quiet spell first: with
 * 100 ms, every burst began with 100 ms of every sampled request shadowed at full load, which
 * filled the in-flight limit and set the primary's p99 (a tenth of a one-second burst's requests
 * waited behind shadow calls). The linear easing in shadowShare smooths the noise of short windows.
 */
export function loopUtilization(windowMs = UTILIZATION_WINDOW_MS, elu: typeof performance.eventLoopUtilization = performance.eventLoopUtilization.bind(performance), now: () => number = () => performance.now()): () => number {
  let last = elu();
  let at = now();
  let utilization = 0;
  return () => {
    const t = now();
    if (t - at >= windowMs) {
      const current = elu();
      utilization = elu(current, last).utilization;
      last = current;
      at = t;
    }
    return utilization;
  };
}

/** Below this event-loop utilization every sampled request is shadowed. */
export const SHADOW_EASE_FROM = 0.7;
/** From this utilization on, only `busyShare` of them are. */
export const SHADOW_SATURATED = 0.9;

/**
 * The share of sampled requests to shadow at an event-loop utilization: all of them while the
 * loop has room, `busyShare` once it is saturated, and a straight line in between. A step from
 * all to `busyShare` at one threshold made the shadow oscillate under load: a quarter-second
 * window just under the threshold shadowed every request, the burst pushed the loop back over,
 * and the in-flight limit dropped the excess.
 */
export function shadowShare(utilization: number, busyShare: number): number {
  if (busyShare >= 1 || utilization <= SHADOW_EASE_FROM) return 1;
  if (utilization >= SHADOW_SATURATED) return busyShare;
  const t = (utilization - SHADOW_EASE_FROM) / (SHADOW_SATURATED - SHADOW_EASE_FROM);
  return 1 - t * (1 - busyShare);
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

/**
 * Copies answered requests to the shadow. Nothing here can reach the caller: jobs are started at
 * the earliest on the turn after their replies were sent (setImmediate, and timers, run after
 * every promise continuation, Fastify's send among them), through the shadow version's own
 * runtime (never the primary's micro-batch), and whatever the shadow does — fail, hang, answer
 * late — ends in the recorder.
 *
 * The requests sampled within `batchWindowMs` (`shedBatchWindowMs` while shedding) go to the
 * shadow as one call (up to `maxBatchRows` rows, which send at once): a model server's HTTP round
 * trip cost coalmine ~150 µs of its event loop per request, and an in-process model run of one
 * row ~165 µs, more than serving the request itself (whose model run the micro-batch shares); a
 * batch shares it. At most `maxInFlight` requests are open, so a shadow that never answers holds a
 * bounded number until their deadline, and everything beyond is dropped and counted.
 *
 * A shadow is also the first thing to give way when the server is busy: above 70% event-loop
 * utilization a shrinking share of sampled requests is shadowed, down to `busyShare` at 90% and
 * more (see shadowShare), and the rest are shed and counted, so at full load the shadow costs the
 * primary a bounded share of its CPU instead of as much again as the primary's own model call.
 */
export class ShadowRunner {
  private open = 0;
  private queue: ShadowJob[] = [];
  private queuedRows = 0;
  /** Full batches waiting for the next turn. */
  private ready: ShadowJob[][] = [];
  private immediate = false;
  private scheduled = false;
  private readonly deadlines: CallDeadlines;

  private readonly busyShare: number;
  private readonly utilization: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: ShadowRunnerOptions) {
    this.deadlines = new CallDeadlines(opts.timeoutMs);
    this.busyShare = opts.busyShare ?? 0.02;
    this.utilization = opts.utilization ?? loopUtilization();
    this.random = opts.random ?? Math.random;
  }

  /** Shadowed requests under way now (queued for the next turn, or in a call). */
  get inFlight(): number {
    return this.open;
  }

  offer(job: ShadowJob): void {
    let outcome: 'sent' | 'dropped' | 'shed' = 'sent';
    let share = 1;
    if (this.open >= this.opts.maxInFlight) outcome = 'dropped';
    else if (this.busyShare < 1) {
      share = shadowShare(this.utilization(), this.busyShare);
      if (share < 1 && this.random() >= share) outcome = 'shed';
    }
    this.opts.recorder.offered(job.shadow.id, job.model, job.version.version, outcome);
    if (outcome !== 'sent') return;
    this.open++;
    // A batch goes as soon as the next request would not fit in it, or it is full.
    if (this.queuedRows > 0 && this.queuedRows + job.rows.length > this.opts.maxBatchRows) this.cut();
    this.queue.push(job);
    this.queuedRows += job.rows.length;
    if (this.queuedRows >= this.opts.maxBatchRows) return this.cut();
    if (this.scheduled) return;
    this.scheduled = true;
    const base = this.opts.batchWindowMs ?? 10;
    const window = share < 1 ? Math.max(base, this.opts.shedBatchWindowMs ?? 50) : base;
    if (window > 0) setTimeout(() => this.drain(), window).unref();
    else setImmediate(() => this.drain());
  }

  /** Closes the waiting batch and sends it on the next turn: never on the request's own, before its reply. */
  private cut(): void {
    this.ready.push(this.queue);
    this.queue = [];
    this.queuedRows = 0;
    if (this.immediate) return;
    this.immediate = true;
    setImmediate(() => {
      this.immediate = false;
      const batches = this.ready;
      this.ready = [];
      for (const b of batches) this.send(b);
    });
  }

  /** The window is over: sends what waits. */
  private drain(): void {
    this.scheduled = false;
    const jobs = this.queue;
    this.queue = [];
    this.queuedRows = 0;
    this.send(jobs);
  }

  /** Sends jobs, one call per shadow version and batch of rows. */
  private send(jobs: readonly ShadowJob[]): void {
    if (jobs.length === 0) return;
    const groups = new Map<string, ShadowJob[]>();
    for (const job of jobs) {
      const key = `${job.model}\u0000${job.version.version}\u0000${job.shadow.id}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(job);
    }
    for (const group of groups.values()) {
      let batch: ShadowJob[] = [];
      let rows = 0;
      for (const job of group) {
        if (batch.length > 0 && rows + job.rows.length > this.opts.maxBatchRows) {
          this.start(batch);
          batch = [];
          rows = 0;
        }
        batch.push(job);
        rows += job.rows.length;
      }
      if (batch.length > 0) this.start(batch);
    }
  }

  private start(batch: ShadowJob[]): void {
    void this.run(batch).finally(() => (this.open -= batch.length));
  }

  private async run(batch: readonly ShadowJob[]): Promise<void> {
    const started = performance.now();
    const first = batch[0]!;
    // The shadow may take other inputs than the primary; a request it refuses is its error, never the caller's.
    const accepted: ShadowJob[] = [];
    for (const job of batch) {
      try {
        validateRows(job.model, job.rows, job.version.signature, this.opts.maxBatchRows);
        accepted.push(job);
      } catch (err) {
        this.settle(job, null, messageOf(err), 0);
      }
    }
    if (accepted.length === 0) return;
    let predictions: Prediction[] | null = null;
    let error: string | null = null;
    const rows = accepted.length === 1 ? first.rows : accepted.flatMap((j) => j.rows);
    try {
      predictions = await this.call(first, rows);
      if (predictions.length !== rows.length) throw new Error(`the shadow answered ${predictions.length} rows for ${rows.length}`);
    } catch (err) {
      predictions = null;
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      error = timedOut ? `no answer within ${this.opts.timeoutMs} ms (COALMINE_SHADOW_TIMEOUT_MS)` : messageOf(err);
    }
    const latency = performance.now() - started;
    let offset = 0;
    for (const job of accepted) {
      this.settle(job, predictions ? predictions.slice(offset, offset + job.rows.length) : null, error, latency);
      offset += job.rows.length;
    }
  }

  private settle(job: ShadowJob, predictions: readonly Prediction[] | null, error: string | null, shadowLatencyMs: number): void {
    this.opts.recorder.record({
      session: job.shadow.id,
      model: job.model,
      requestId: job.requestId,
      task: job.primaryVersion.signature.task,
      primaryVersion: job.primaryVersion.version,
      shadowVersion: job.version.version,
      primary: job.primary,
      primaryLatencyMs: job.primaryLatencyMs,
      shadow: predictions,
      shadowLatencyMs,
      error,
      labels: job.labels,
    });
  }

  private call(job: ShadowJob, rows: readonly FeatureRow[]): Promise<Prediction[]> {
    // Its own runtime, not the micro-batcher over it: the batcher's flush is shared with the
    // primaries, whose replies would wait for the shadow's call (this runner batches already).
    const runtime = this.opts.pool.unbatched(job.model, job.version.version);
    if (!runtime) throw new Error(`shadow v${job.version.version} cannot serve: ${this.opts.pool.failure(job.model, job.version.version) ?? 'it is still loading'}`);
    const fault = this.opts.faults?.(job.model);
    if (hasFaults(fault)) {
      const faulty = new FaultInjectingRuntime(runtime, fault!, this.random);
      return this.deadlines.run((o) => faulty.predict(rows, o), job.requestId);
    }
    // A synchronous model (in-process ONNX) answers before any deadline timer could fire; what it
    // throws reaches run()'s catch, which awaits this call, as the missing runtime above does.
    if (scoresSynchronously(runtime)) return Promise.resolve(runtime.predictNow(rows));
    return this.deadlines.run((o) => runtime.predict(rows, o), job.requestId);
  }
}
