import { Pool, type Dispatcher } from 'undici';

export interface UpstreamReply {
  readonly status: number;
  /** The parsed JSON body, or undefined when the body was empty or not JSON. */
  readonly json: unknown;
  /** The body as text, cut to 400 characters, for messages. */
  readonly text: string;
}

export interface UpstreamCall {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: unknown;
  readonly requestId?: string | undefined;
  /** The call's deadline: undici's own header and body timeouts, so no AbortController per call. */
  readonly timeoutMs?: number;
}

export interface UpstreamHttpOptions {
  /** Keep-alive connections per upstream origin. */
  readonly connections?: number;
  /** Largest upstream answer read, in bytes; a larger one is the upstream's error. */
  readonly maxResponseBytes?: number;
  readonly connectTimeoutMs?: number;
}

/** The upstream could not be reached or did not answer in time: the version's fault, never the caller's. */
export class UpstreamUnreachableError extends Error {
  constructor(
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(`${url}: ${describeFailure(cause)}`);
    this.name = 'UpstreamUnreachableError';
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const inner = (err as { cause?: unknown }).cause;
    const innerCode = inner instanceof Error ? (inner as { code?: unknown }).code : undefined;
    const shown = typeof code === 'string' ? code : typeof innerCode === 'string' ? innerCode : undefined;
    if (shown === 'ECONNREFUSED') return 'connection refused (is the model server running on that port?)';
    if (shown === 'ENOTFOUND' || shown === 'EAI_AGAIN') return 'the host name does not resolve';
    if (shown === 'UND_ERR_CONNECT_TIMEOUT') return 'connecting timed out';
    if (shown === 'UND_ERR_HEADERS_TIMEOUT' || shown === 'UND_ERR_BODY_TIMEOUT') return 'the model server did not answer in time';
    if (shown === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'the answer was larger than coalmine reads from a model server';
    return shown ? `${shown}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * One pooled, keep-alive HTTP client (undici) for every upstream model server, so a prediction
 * never pays for a TCP handshake. Each call is bounded by its timeout (the prediction deadline,
 * or a few seconds for health and metadata reads); answers are read as JSON with a size cap.
 */
export class UpstreamHttp {
  private readonly pools = new Map<string, Pool>();
  /** URLs taken apart once: a version calls the same few URLs for as long as it serves. */
  private readonly parsed = new Map<string, { readonly origin: string; readonly path: string }>();

  constructor(private readonly opts: UpstreamHttpOptions = {}) {}

  /**
   * One undici Pool per origin, looked up here rather than through an Agent: the Agent's
   * per-call origin parsing and dispatch cost ~40 µs a call on the 2-core VM (docs/benchmarks.md).
   */
  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.opts.connections ?? 64,
        keepAliveTimeout: 30_000,
        connect: { timeout: this.opts.connectTimeoutMs ?? 5_000 },
        maxResponseSize: this.opts.maxResponseBytes ?? 16 * 1024 * 1024,
        // Model servers answer one request per connection at a time; pipelining would let one
        // slow call hold up the ones queued behind it on the same socket.
        pipelining: 1,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  private target(url: string): { readonly origin: string; readonly path: string } {
    let t = this.parsed.get(url);
    if (!t) {
      const u = new URL(url);
      t = { origin: u.origin, path: u.pathname + u.search };
      if (this.parsed.size > 10_000) this.parsed.clear();
      this.parsed.set(url, t);
    }
    return t;
  }

  /**
   * Through undici's dispatch API, collecting the answer's chunks by hand: `request()` wraps each
   * answer in a Readable stream (the gateway bench went from ~390 to ~354 µs a request without it).
   */
  call(c: UpstreamCall): Promise<UpstreamReply> {
    const target = this.target(c.url);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (c.requestId !== undefined) headers['x-request-id'] = c.requestId;
    let body: string | undefined;
    if (c.body !== undefined) {
      body = JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    const timeout = c.timeoutMs ?? 5_000;
    return new Promise<UpstreamReply>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let status = 0;
      const fail = (err: unknown) => reject(new UpstreamUnreachableError(c.url, err));
      try {
        this.dispatch(target, c.method, headers, body, timeout, {
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseData: (_controller, chunk) => {
            chunks.push(chunk);
          },
          onResponseEnd: () => {
            const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
            let json: unknown;
            try {
              json = text.length > 0 ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status, json, text: text.slice(0, 400) });
          },
          onResponseError: (_controller, err) => fail(err),
        });
      } catch (err) {
        fail(err);
      }
    });
  }

  private dispatch(target: { readonly origin: string; readonly path: string }, method: 'GET' | 'POST', headers: Record<string, string>, body: string | undefined, timeout: number, handler: Dispatcher.DispatchHandler): void {
    this.pool(target.origin).dispatch({ path: target.path, method, headers, body, headersTimeout: timeout, bodyTimeout: timeout }, handler);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
