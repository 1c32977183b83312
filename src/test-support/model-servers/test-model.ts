import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A logistic model over named numeric inputs: p = sigmoid(Σ wᵢ·xᵢ + b). */
export interface TestModel {
  readonly name: string;
  readonly inputs: readonly { readonly name: string; readonly width: number }[];
  readonly weights: readonly number[];
  readonly bias: number;
}

/** Knobs a test turns while the server runs. */
export interface ServerKnobs {
  /** Added before every inference answer. */
  delayMs: number;
  /** Answer inference with this status (500, 503, …) instead of predictions. */
  failWith: number | null;
  /** Share of inference requests answered with a 500, spread evenly (a server that fails some of the time). */
  failRate: number;
  /** Share of rows answered with the wrong class (probability 1 − p). */
  wrongRate: number;
  /** Health and readiness endpoints say not ready. */
  ready: boolean;
  /** Inference requests never get an answer. */
  hang: boolean;
}

export const defaultKnobs = (): ServerKnobs => ({ delayMs: 0, failWith: null, failRate: 0, wrongRate: 0, ready: true, hang: false });

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** The model's probability of class 1 for one row of flat values (inputs in order). */
export function probabilityOf(model: TestModel, flat: readonly number[]): number {
  let z = model.bias;
  for (let i = 0; i < flat.length; i++) z += (model.weights[i] ?? 0) * flat[i]!;
  return sigmoid(z);
}

/** Deterministic "random" per row so the wrong share is exact over a batch and repeatable. */
export function wrongRow(knobs: ServerKnobs, counter: { n: number }): boolean {
  counter.n++;
  return knobs.wrongRate > 0 && ((counter.n * 0.6180339887) % 1) < knobs.wrongRate;
}

export interface RunningServer {
  readonly url: string;
  readonly knobs: ServerKnobs;
  /** Headers and bodies of the inference requests received, newest last. */
  readonly received: { headers: IncomingMessage['headers']; body: unknown }[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, body: unknown, res: ServerResponse) => unknown;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Bounds of the request-duration histogram /metrics exports, in seconds (prometheus_client's defaults, shortened). */
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * What MLServer exports by default, kept for inference requests: successes, failures and the
 * REST server's request-duration histogram, in Prometheus' text format, so a real Prometheus can
 * scrape a test model server.
 */
function inferenceMetrics() {
  const s = { success: 0, failure: 0, buckets: BOUNDS.map(() => 0), sum: 0, count: 0 };
  return {
    observe(seconds: number, ok: boolean) {
      if (ok) s.success++;
      else s.failure++;
      s.count++;
      s.sum += seconds;
      BOUNDS.forEach((b, i) => {
        if (seconds <= b) s.buckets[i]!++;
      });
    },
    text: () =>
      [
        '# TYPE model_infer_request_success counter',
        `model_infer_request_success{model_name="churn"} ${s.success}`,
        '# TYPE model_infer_request_failure counter',
        `model_infer_request_failure{model_name="churn"} ${s.failure}`,
        '# TYPE rest_server_requests_duration_seconds histogram',
        ...BOUNDS.map((b, i) => `rest_server_requests_duration_seconds_bucket{le="${b}"} ${s.buckets[i]}`),
        `rest_server_requests_duration_seconds_bucket{le="+Inf"} ${s.count}`,
        `rest_server_requests_duration_seconds_sum ${s.sum}`,
        `rest_server_requests_duration_seconds_count ${s.count}`,
        '',
      ].join('\n'),
  };
}

/** A plain node:http server on a loopback port, with a JSON body reader: the protocol modules route. */
export async function listen(handler: Handler, knobs: ServerKnobs, received: RunningServer['received']): Promise<RunningServer> {
  const metrics = inferenceMetrics();
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(metrics.text());
      return;
    }
    if (req.method === 'POST' && /\/infer$|\/invocations$|:predict$/.test(req.url ?? '')) {
      const t0 = performance.now();
      res.on('finish', () => metrics.observe((performance.now() - t0) / 1000, res.statusCode < 400));
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          sendJson(res, 400, { error: 'the body is not JSON' });
          return;
        }
      }
      Promise.resolve(handler(req, body, res)).catch((err: unknown) => sendJson(res, 500, { error: String(err) }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    knobs,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Applies the inference knobs; resolves false when the answer must not be sent (hang, or a failure already sent). */
export async function inferenceGate(knobs: ServerKnobs, res: ServerResponse, failBody: (status: number) => unknown): Promise<boolean> {
  if (knobs.hang) return false;
  if (knobs.delayMs > 0) await new Promise((r) => setTimeout(r, knobs.delayMs));
  const failing = knobs.failWith ?? (knobs.failRate > 0 && wrongRow({ ...knobs, wrongRate: knobs.failRate }, failures(knobs)) ? 500 : null);
  if (failing !== null) {
    sendJson(res, failing, failBody(failing));
    return false;
  }
  return true;
}

const failureCounters = new WeakMap<ServerKnobs, { n: number }>();
function failures(knobs: ServerKnobs): { n: number } {
  let c = failureCounters.get(knobs);
  if (!c) failureCounters.set(knobs, (c = { n: 0 }));
  return c;
}
