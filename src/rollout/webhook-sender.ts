import type { OutboxStore } from '../store/index.js';

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

  constructor(
    private readonly outbox: OutboxStore,
    private readonly log: SenderLogger,
    private readonly now: () => number = Date.now,
    private readonly timeoutMs = 5000,
  ) {}

  start(everyMs = 1000): void {
    this.timer = setInterval(() => void this.deliver(), everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over the due items (also called right after a phase change). */
  deliver(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<void> {
    for (const item of await this.outbox.due(this.now(), 50)) {
      const payload = { ...(JSON.parse(item.payload) as object), delivery_id: item.id };
      try {
        const res = await fetch(item.url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'coalmine' }, body: JSON.stringify(payload), signal: AbortSignal.timeout(this.timeoutMs) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        await this.outbox.delivered(item.id, this.now());
      } catch (err) {
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
