import type { Logger } from 'pino';
import { throttledWarning, type RolloutController, type WebhookSender } from '../rollout/index.js';

export interface JobsOptions {
  readonly log: Logger;
  readonly rollouts: RolloutController;
  readonly webhooks: WebhookSender;
  /** Writes telemetry and the prediction log to the store. */
  readonly flush: () => Promise<void>;
  /** Drops what is past its retention. */
  readonly purge: () => Promise<unknown>;
  readonly flushIntervalMs: number;
  readonly purgeIntervalMs: number;
  /** Checks the readiness of the model servers behind serving versions. */
  readonly checkUpstreams: () => Promise<void>;
  readonly upstreamIntervalMs: number;
  /** The rollout scheduler and webhook delivery (tests that drive reconcile themselves turn them off). */
  readonly scheduler: boolean;
  /** Whether this replica drives the rollouts (holds the controller lease); always true alone on SQLite. */
  readonly drives: () => boolean;
  /** Judges the running shadow sessions and reports changed verdicts (the lease holder only). */
  readonly watchShadows: () => Promise<void>;
}

/**
 * What runs on timers once the server is up: rollout recovery and the scheduler, webhook
 * delivery, the shadows' verdicts, the telemetry flush, the retention purge and the model servers' readiness checks. Kept out of createApp, which only
 * composes, so building an app (for a CLI command, a benchmark) starts nothing.
 */
export class BackgroundJobs {
  private timers: NodeJS.Timeout[] = [];
  private flushing = false;

  constructor(private readonly o: JobsOptions) {}

  /** Finishes what a stopped process left half done, then starts the timers. */
  async start(models: readonly string[]): Promise<void> {
    const { o } = this;
    // Only the replica that drives the rollouts finishes what a stopped one left half done.
    if (o.drives()) await o.rollouts.recover(models);
    if (o.scheduler) {
      o.rollouts.startScheduler(1000, o.drives);
      o.webhooks.start();
    }
    // Once per 30 s at most: with the store out of reach every flush fails until it is back.
    const flushFailed = throttledWarning((obj, msg) => o.log.warn(obj, msg));
    const flush = setInterval(() => {
      if (this.flushing) return;
      this.flushing = true;
      o.flush()
        .catch((err: unknown) => flushFailed({ err }, 'telemetry flush failed; will retry'))
        .finally(() => (this.flushing = false));
    }, o.flushIntervalMs);
    const purge = setInterval(() => {
      o.purge().catch((err: unknown) => o.log.warn({ err }, 'retention purge failed; will retry'));
    }, o.purgeIntervalMs);
    let checking = false;
    const upstreams = setInterval(() => {
      if (checking) return;
      checking = true;
      o.checkUpstreams()
        .catch((err: unknown) => o.log.warn({ err }, 'model server readiness check failed; will retry'))
        .finally(() => (checking = false));
    }, o.upstreamIntervalMs);
    let watching = false;
    const watchFailed = throttledWarning((obj, msg) => o.log.warn(obj, msg));
    const shadows = setInterval(() => {
      if (watching || !o.scheduler || !o.drives()) return;
      watching = true;
      o.watchShadows()
        .catch((err: unknown) => watchFailed({ err }, 'shadow verdict check failed; will retry'))
        .finally(() => (watching = false));
    }, 1000);
    this.timers = [flush, purge, upstreams, shadows];
    for (const t of this.timers) t.unref();
  }

  /** Stops the timers and the scheduler; webhook delivery is stopped by the caller after the HTTP close. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.o.rollouts.stopScheduler();
  }
}
