import type { OutboxStore } from '../store/index.js';
import { throttledWarning } from './throttled-warning.js';

export interface SenderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const MAX_ATTEMPTS = 10;

/**
 * Delivers queued webhook notifications: HTTP POST with the decision as JSON, retried with
 * exponential backoff (1 s, 2 s, 4 s … up to 5 min, 10 attempts). It runs on its own timer and
 * never blocks the controller. Delivery is at least once: receivers can drop repeats by `delivery_id`.
 */
export class WebhookSender {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  // Aborted by stop(): a receiver that accepts and never answers must not hold the shutdown.
  private readonly shutdown = new AbortController();

  constructor(
    private readonly outbox: OutboxStore,
    private readonly log: SenderLogger,
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = 5000,
  ) {}

  start(everyMs = 1000): void {
    // A pass that cannot read the outbox (the store out of reach) waits for the next tick.
    const unreachable = throttledWarning((obj, msg) => this.log.warn(obj, msg));
    this.timer = setInterval(() => void this.deliver().catch((err: unknown) => unreachable({ error: err instanceof Error ? err.message : String(err) }, 'cannot read the webhook outbox; will retry')), everyMs);
    this.timer.unref();
  }

  /** Stops at once: a delivery in flight is abandoned (and stays due for the next start). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping = true;
    this.shutdown.abort();
    await this.running;
  }

  /** One pass over the due items (also called right after a phase change). */
  deliver(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (this.running) return this.running;
    this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const item of await this.outbox.due(this.now(), 50)) {
      if (this.stopping) return;
      const payload = { ...(JSON.parse(item.payload) as object), delivery_id: item.id };
      try {
        const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.timeoutMs)]);
        const res = await fetch(item.url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'coalmine' }, body: JSON.stringify(payload), signal, redirect: 'error' });
        // The body is not read: a receiver streaming an endless reply must not hold the sender.
        void res.body?.cancel().catch(() => undefined);
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        await this.outbox.delivered(item.id, this.now());
      } catch (err) {
        if (this.stopping) return;
        const attempts = item.attempts + 1;
        const giveUp = attempts >= MAX_ATTEMPTS;
        const delay = Math.min(300_000, 1000 * 2 ** (attempts - 1));
        const error = err instanceof Error ? err.message : String(err);
        await this.outbox.retryLater(item.id, attempts, this.now() + delay, error, giveUp);
        this.log.warn({ url: item.url, attempts, error, giveUp }, giveUp ? 'webhook delivery abandoned' : 'webhook delivery failed; will retry');
      }
    }
  }
}
