import type { PredictOptions } from '../runtime/index.js';

/**
 * One model call's deadline. It is also the call's PredictOptions: the abort signal is made only
 * if the runtime asks for it (fault injection's sleep does; onnxruntime cannot cancel a run), as
 * an AbortController costs several microseconds, more than routing a request.
 */
class Deadline implements PredictOptions {
  settled = false;
  requestId: string | undefined = undefined;
  private controller: AbortController | undefined;
  private cancel: ((reason: unknown) => void) | undefined;

  constructor(
    readonly at: number,
    readonly fail: (reason: unknown) => void,
  ) {}

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  onCancel(cancel: (reason: unknown) => void): void {
    const before = this.cancel;
    this.cancel = before === undefined ? cancel : (reason) => (before(reason), cancel(reason));
  }

  expire(reason: unknown): void {
    this.settled = true;
    const cancel = this.cancel;
    this.cancel = undefined;
    this.controller?.abort(reason);
    cancel?.(reason);
    this.fail(reason);
  }

  /** The call ended: nothing is left to cancel. */
  done(): void {
    this.settled = true;
    this.cancel = undefined;
  }
}

/**
 * Timeouts for model calls. Every call has the same timeout, so deadlines fall due in the order
 * calls start: a FIFO queue and one coarse timer serve them all. `AbortSignal.timeout()` per call
 * cost about 6 µs each and left one live 30-second timer per request (300,000 of them at 10,000
 * requests a second); a call that ends here is simply marked settled.
 */
export class CallDeadlines {
  private readonly queue: Deadline[] = [];
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

  /**
   * Runs `call` and settles with it, or rejects with a TimeoutError once the timeout passes, even
   * if the call never ends (a model that ignores the signal still times out).
   */
  run<T>(call: (opts: PredictOptions) => Promise<T>, requestId?: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = new Deadline(this.now() + this.timeoutMs, reject);
      deadline.requestId = requestId;
      this.queue.push(deadline);
      if (this.timer === undefined) {
        // Not unref'd: an open call keeps the process alive until it ends or times out; the timer
        // stops as soon as no call is open.
        this.timer = setInterval(() => this.expire(), this.tickMs);
      }
      let result: Promise<T>;
      try {
        result = call(deadline);
      } catch (err) {
        result = Promise.reject(err);
      }
      result.then(
        (value) => {
          if (deadline.settled) return;
          this.settle(deadline);
          resolve(value);
        },
        (err: unknown) => {
          if (deadline.settled) return;
          this.settle(deadline);
          reject(err);
        },
      );
    });
  }

  /** Calls still open (settled ones behind a slow call are dropped when it ends). */
  get pending(): number {
    return this.queue.length - this.head;
  }

  private settle(deadline: Deadline): void {
    deadline.done();
    this.advance();
  }

  private expire(): void {
    const t = this.now();
    for (let i = this.head; i < this.queue.length; i++) {
      const d = this.queue[i]!;
      if (d.at > t) break;
      if (d.settled) continue;
      d.expire(new DOMException(`the model call took longer than ${this.timeoutMs} ms`, 'TimeoutError'));
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
