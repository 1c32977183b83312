/** One model call's deadline: its signal aborts when the call outlives the timeout. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Rejects when the deadline passes (never resolves): race the call against it. */
  readonly expired: Promise<never>;
}

interface Entry extends Deadline {
  readonly at: number;
  readonly controller: AbortController;
  settled: boolean;
  reject: (reason: unknown) => void;
}

/**
 * Timeouts for model calls. Every call has the same timeout, so deadlines fall due in the order
 * calls start: a FIFO queue and one coarse timer serve them all. `AbortSignal.timeout()` per call
 * cost about 6 µs each and left one live 30-second timer per request (300,000 of them at 10,000
 * requests a second); a call that ends here is simply marked settled.
 */
export class CallDeadlines {
  private readonly queue: Entry[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Expiry is checked this often: a quarter of the timeout, between 1 ms and 1 s. */
  private readonly tickMs: number;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tickMs = Math.max(1, Math.min(1000, Math.floor(timeoutMs / 4)));
  }

  open(): Deadline {
    const controller = new AbortController();
    let reject!: (reason: unknown) => void;
    const expired = new Promise<never>((_, r) => (reject = r));
    // Nobody awaits `expired` once the call has won the race: keep it from counting as unhandled.
    expired.catch(() => undefined);
    const entry: Entry = { at: this.now() + this.timeoutMs, controller, signal: controller.signal, expired, settled: false, reject };
    this.queue.push(entry);
    if (this.timer === undefined) {
      // Not unref'd: an open call keeps the process alive until it ends or times out; the timer
      // stops as soon as no call is open.
      this.timer = setInterval(() => this.expire(), this.tickMs);
    }
    return entry;
  }

  /** The call ended (answered or failed). */
  settle(deadline: Deadline): void {
    (deadline as Entry).settled = true;
    this.advance();
  }

  /** Calls still open (settled ones behind a slow call are dropped when it ends). */
  get pending(): number {
    return this.queue.length - this.head;
  }

  private expire(): void {
    const t = this.now();
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i]!;
      if (e.at > t) break;
      if (e.settled) continue;
      e.settled = true;
      const reason = new DOMException(`the model call took longer than ${this.timeoutMs} ms`, 'TimeoutError');
      e.controller.abort(reason);
      e.reject(reason);
    }
    this.advance();
  }

  private advance(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.settled) this.head++;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      clearInterval(this.timer);
      this.timer = undefined;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
