/**
 * A token bucket per client address that counts labels, not requests: one feedback request may
 * carry 10,000 of them, so @fastify/rate-limit's requests-per-window cannot express the cost.
 * Written by hand for that reason; it is a dozen lines of arithmetic.
 */
export class LabelRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; blockedUntil: number }>();

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  private bucket(client: string, t: number) {
    const b = this.buckets.get(client) ?? { tokens: this.perSecond, at: t, blockedUntil: 0 };
    b.tokens = Math.min(this.perSecond, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    return b;
  }

  /** Takes `n` labels from the client's allowance; 0 when allowed, else the ms to wait. */
  take(client: string, n: number): number {
    if (this.perSecond <= 0) return 0;
    const t = this.now();
    if (this.buckets.size > 10_000) this.prune(t);
    const b = this.bucket(client, t);
    this.buckets.set(client, b);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    const wait = Math.ceil(((Math.min(n, this.perSecond) - b.tokens) / this.perSecond) * 1000);
    // Until then the client is refused before its body is read (waitFor).
    b.blockedUntil = t + wait;
    return wait;
  }

  /** The ms until a refused client may send again (0: now); takes nothing. */
  waitFor(client: string): number {
    const b = this.buckets.get(client);
    return b ? Math.max(0, b.blockedUntil - this.now()) : 0;
  }

  /** Full buckets carry no state worth keeping. */
  private prune(t: number): void {
    for (const [client, b] of this.buckets) if (b.blockedUntil <= t && b.tokens + ((t - b.at) / 1000) * this.perSecond >= this.perSecond) this.buckets.delete(client);
  }
}
