import { Agent, request } from 'undici';

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
  readonly signal?: AbortSignal | undefined;
  readonly requestId?: string | undefined;
  /** Deadline for a call without a signal (health checks, metadata). */
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
  if (err instanceof DOMException && err.name === 'TimeoutError') return err.message;
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
    if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'the call was cut at its deadline';
    return shown ? `${shown}: ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * One pooled, keep-alive HTTP client (undici) for every upstream model server, so a prediction
 * never pays for a TCP handshake. Each call is bounded: by the request's deadline signal, or by
 * its own timeout for health and metadata reads; answers are read as JSON with a size cap.
 */
export class UpstreamHttp {
  private readonly agent: Agent;

  constructor(opts: UpstreamHttpOptions = {}) {
    this.agent = new Agent({
      connections: opts.connections ?? 64,
      keepAliveTimeout: 30_000,
      connect: { timeout: opts.connectTimeoutMs ?? 5_000 },
      maxResponseSize: opts.maxResponseBytes ?? 16 * 1024 * 1024,
      // Model servers answer one request per connection at a time; pipelining would let one
      // slow call hold up the ones queued behind it on the same socket.
      pipelining: 1,
    });
  }

  async call(c: UpstreamCall): Promise<UpstreamReply> {
    const signal = c.signal ?? AbortSignal.timeout(c.timeoutMs ?? 5_000);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (c.requestId !== undefined) headers['x-request-id'] = c.requestId;
    let body: string | undefined;
    if (c.body !== undefined) {
      body = JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    try {
      const res = await request(c.url, { method: c.method, headers, body, signal, dispatcher: this.agent });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, text: text.slice(0, 400) };
    } catch (err) {
      throw new UpstreamUnreachableError(c.url, signal.aborted && signal.reason !== undefined ? signal.reason : err);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
