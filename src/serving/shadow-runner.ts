import { AppError, type FeatureRow, type Label, type ModelVersion, type Prediction, type ShadowRouting } from '../domain/index.js';
import { settlesNextTurn } from '../runtime/index.js';
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
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

/**
 * Copies answered requests to the shadow. Nothing here can reach the caller: a job is started on
 * the turn after the reply was sent (setImmediate runs after every promise continuation, Fastify's
 * send among them), through the shadow version's own runtime (never the primary's micro-batch),
 * and whatever the shadow does — fail, hang, answer late — ends in the recorder. At most
 * `maxInFlight` calls are open, so a shadow that never answers holds a bounded number of requests
 * until their deadlines expire, and everything beyond is dropped and counted.
 */
export class ShadowRunner {
  private open = 0;
  private readonly deadlines: CallDeadlines;

  constructor(private readonly opts: ShadowRunnerOptions) {
    this.deadlines = new CallDeadlines(opts.timeoutMs);
  }

  /** Shadow calls under way now. */
  get inFlight(): number {
    return this.open;
  }

  offer(job: ShadowJob): void {
    const sent = this.open < this.opts.maxInFlight;
    this.opts.recorder.offered(job.shadow.id, job.model, job.version.version, sent);
    if (!sent) return;
    this.open++;
    setImmediate(() => {
      void this.run(job).finally(() => this.open--);
    });
  }

  private async run(job: ShadowJob): Promise<void> {
    const started = performance.now();
    let predictions: Prediction[] | null = null;
    let error: string | null = null;
    try {
      predictions = await this.call(job);
      if (predictions.length !== job.primary.length) throw new Error(`the shadow answered ${predictions.length} rows for ${job.primary.length}`);
    } catch (err) {
      predictions = null;
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      error = timedOut ? `no answer within ${this.opts.timeoutMs} ms (COALMINE_SHADOW_TIMEOUT_MS)` : err instanceof AppError || err instanceof Error ? messageOf(err) : String(err);
    }
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
      shadowLatencyMs: performance.now() - started,
      error,
      labels: job.labels,
    });
  }

  private call(job: ShadowJob): Promise<Prediction[]> {
    const runtime = this.opts.pool.get(job.model, job.version.version);
    if (!runtime) throw new Error(`shadow v${job.version.version} cannot serve: ${this.opts.pool.failure(job.model, job.version.version) ?? 'it is still loading'}`);
    // The shadow may take other inputs than the primary; a row it refuses is its error, never the caller's.
    validateRows(job.model, job.rows, job.version.signature, this.opts.maxBatchRows);
    return settlesNextTurn(runtime) ? runtime.predict(job.rows) : this.deadlines.run((o) => runtime.predict(job.rows, o), job.requestId);
  }
}
