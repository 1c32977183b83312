import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AppError } from '../domain/index.js';
import { analysisView, seriesPointView } from './metrics-views.js';
import type { ApiServices } from './services.js';
import { modelView, rolloutView } from './views.js';

/** Something changed that live views show: routing or versions, a rollout, or settings (faults). */
export interface Change {
  readonly kind: 'routing' | 'rollout' | 'settings';
  readonly model: string;
}

export interface ChangeSource {
  /** Returns the function that unsubscribes. */
  subscribe(listener: (change: Change) => void): () => void;
}

export interface LiveFeedOptions {
  readonly tickMs: number;
  readonly maxClients: number;
  /** The default analysis is recomputed at most this often (it merges the whole experiment window). */
  readonly analysisEveryMs?: number;
}

/** A client that cannot keep up (a stalled tab, a dead proxy) is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Server-sent events for the dashboard (and anyone else): one computation per tick, however many
 * clients listen, so a room full of open dashboards costs the same as one. Nothing runs while
 * nobody listens. Events:
 * - `hello`: server time, tick and bucket sizes (sent once per connection);
 * - `points`: the latest chart points of a model (every tick), the same shape as the series endpoint;
 * - `analysis`: the default analysis of a model with a canary (every few seconds);
 * - `model` / `rollout`: the new state, as the REST API returns it, right after a change is saved.
 */
export class LiveFeed {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private ticking = false;
  private lastAnalysisAt = 0;

  constructor(
    private readonly s: ApiServices,
    private readonly log: Logger,
    private readonly opts: LiveFeedOptions,
  ) {}

  /** Refuses before the response is taken over, so the refusal is an ordinary JSON error. */
  checkCapacity(): void {
    if (this.clients.size >= this.opts.maxClients) {
      throw new AppError('too_many_streams', `${this.clients.size} live streams are open, the limit (COALMINE_MAX_STREAMS); close a dashboard tab or raise the limit`);
    }
  }

  attach(raw: ServerResponse): void {
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tell nginx-style proxies not to hold events back.
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 2000\n\n');
    this.clients.add(raw);
    raw.on('close', () => this.detach(raw));
    this.write(raw, frame('hello', { server_time: Date.now(), tick_ms: this.opts.tickMs, bucket_ms: this.s.metrics.bucketMs }));
    if (this.clients.size === 1) this.start();
  }

  /** Ends every stream (the server is closing; clients reconnect to whichever process comes next). */
  close(): void {
    this.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private detach(raw: ServerResponse): void {
    if (!this.clients.delete(raw)) return;
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    this.unsubscribe = this.s.changes.subscribe((c) => void this.onChange(c));
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs);
    this.timer.unref();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private broadcast(event: string, data: unknown): void {
    const f = frame(event, data);
    for (const c of this.clients) this.write(c, f);
  }

  private write(c: ServerResponse, f: string): void {
    if (c.writableLength > MAX_BUFFERED_BYTES) {
      this.log.warn({ buffered: c.writableLength }, 'live stream client is not reading; disconnecting it');
      c.destroy();
      this.detach(c);
      return;
    }
    c.write(f);
  }

  private async tick(): Promise<void> {
    // A slow tick (a large analysis) is never overlapped by the next one.
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      const bucketMs = this.s.metrics.bucketMs;
      const models = await this.s.registry.list();
      for (const m of models) {
        const points = await this.s.metrics.series(m.name, now - 2 * bucketMs, now + bucketMs, bucketMs, now);
        this.broadcast('points', { model: m.name, step_ms: bucketMs, server_time: now, points: points.map(seriesPointView) });
      }
      if (now - this.lastAnalysisAt >= (this.opts.analysisEveryMs ?? 5000)) {
        this.lastAnalysisAt = now;
        for (const m of models) {
          if (m.routing.canaryVersion === null) continue;
          this.broadcast('analysis', analysisView(m, await this.s.checks.analyze(m.name), now));
        }
      }
    } catch (err) {
      this.log.warn({ err }, 'live stream update failed; the next tick retries');
    } finally {
      this.ticking = false;
    }
  }

  private async onChange(c: Change): Promise<void> {
    try {
      if (c.kind === 'rollout') {
        this.broadcast('rollout', rolloutView(await this.s.rollouts.get(c.model)));
      } else {
        const m = await this.s.registry.get(c.model);
        this.broadcast('model', modelView(m, this.s.versions, this.s.settings.get(m.name)));
        // A new canary or a reset changes the verdicts: recompute them on the next tick.
        if (c.kind === 'routing') this.lastAnalysisAt = 0;
      }
    } catch (err) {
      this.log.warn({ err, model: c.model, change: c.kind }, 'live stream could not publish a change');
    }
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
