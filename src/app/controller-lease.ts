import type { Logger } from 'pino';
import type { LeaseStore } from '../store/index.js';

export interface ControllerLeaseOptions {
  readonly store: LeaseStore;
  /** This replica's name in the lease table (host, pid and a random suffix). */
  readonly holder: string;
  readonly ttlMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}

export const CONTROLLER_LEASE = 'rollout-controller';

/**
 * The one replica that drives rollouts (Argo Rollouts and Flagger elect one controller the same
 * way, with a Kubernetes Lease). Renewed every third of its TTL. This replica counts itself the
 * holder only until one renewal interval before the lease would expire by its own last renewal,
 * so it stops acting before another replica can take over: two never drive at once.
 */
export class ControllerLease {
  private heldUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;
  private readonly now: () => number;

  constructor(private readonly o: ControllerLeaseOptions) {
    this.now = o.now ?? Date.now;
  }

  get interval(): number {
    return Math.max(100, Math.floor(this.o.ttlMs / 3));
  }

  holds(): boolean {
    return this.now() < this.heldUntil;
  }

  /** One attempt to take or renew the lease; true when held. */
  async renew(): Promise<boolean> {
    const started = this.now();
    const had = this.holds();
    let held = false;
    try {
      held = await this.o.store.acquire(CONTROLLER_LEASE, this.o.holder, this.o.ttlMs);
    } catch (err) {
      if (had) this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'cannot renew the rollout controller lease; stepping down when it runs out');
      return this.holds();
    }
    this.heldUntil = held ? started + this.o.ttlMs - this.interval : 0;
    if (held !== had) this.o.log.info({ holder: this.o.holder }, held ? 'this replica now drives the rollouts (it holds the controller lease)' : 'another replica drives the rollouts now');
    return held;
  }

  async start(): Promise<void> {
    await this.renew();
    const tick = () => {
      if (this.renewing) return;
      this.renewing = true;
      void this.renew().finally(() => (this.renewing = false));
    };
    this.timer = setInterval(tick, this.interval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.holds()) {
      this.heldUntil = 0;
      await this.o.store.release(CONTROLLER_LEASE, this.o.holder).catch(() => undefined);
    }
  }
}
