/**
 * A token bucket per client address that counts labels, not requests: one feedback request may
 * carry 10,000 of them, so @fastify/rate-limit's requests-per-window cannot express the cost.
 * Written by hand for that reason; it is a dozen lines of arithmetic.
 */
export class LabelRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `n` labels from the client's allowance; 0 when allowed, else the ms to wait. */
  take(client: string, n: number): number {
    if (this.perSecond <= 0) return 0;
    const t = this.now();
    if (this.buckets.size > 10_000) this.prune(t);
    const b = this.buckets.get(client) ?? { tokens: this.perSecond, at: t };
    b.tokens = Math.min(this.perSecond, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.set(client, b);
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return Math.ceil(((Math.min(n, this.perSecond) - b.tokens) / this.perSecond) * 1000);
  }

  /** Full buckets carry no state worth keeping. */
  private prune(t: number): void {
    for (const [client, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.perSecond >= this.perSecond) this.buckets.delete(client);
  }
}
