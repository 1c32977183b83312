import { request } from 'undici';

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A query's answer, or why there is none: a failed query is a value here, never a throw. */
export type QueryResult = { readonly ok: true; readonly series: readonly Series[] } | { readonly ok: false; readonly error: string };

interface ApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

/** Instant queries over Prometheus' HTTP API (`POST /api/v1/query`), bounded by a timeout. */
export class PrometheusClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async query(promql: string, atMs: number): Promise<QueryResult> {
    let status: number;
    let text: string;
    try {
      const res = await request(`${this.url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: promql, time: (atMs / 1000).toFixed(3) }).toString(),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      return { ok: false, error: `Prometheus at ${this.url} did not answer: ${(err as Error).message}` };
    }
    let answer: ApiAnswer;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      return { ok: false, error: `Prometheus at ${this.url} answered HTTP ${status} with something other than JSON: ${text.slice(0, 200)}` };
    }
    if (answer.status !== 'success') return { ok: false, error: `Prometheus refused the query (${answer.errorType ?? `HTTP ${status}`}): ${answer.error ?? text.slice(0, 200)}` };
    const type = answer.data?.resultType;
    const result = answer.data?.result;
    if (type === 'scalar' && Array.isArray(result)) return { ok: true, series: [{ labels: {}, value: Number(result[1]) }] };
    if (type === 'vector' && Array.isArray(result)) {
      return {
        ok: true,
        series: (result as { metric?: Record<string, string>; value?: [number, string] }[]).map((s) => ({ labels: s.metric ?? {}, value: Number(s.value?.[1]) })),
      };
    }
    return { ok: false, error: `the query gives a ${type ?? 'missing'} result, not an instant vector or scalar; wrap a range selector in a function such as increase(…[{{interval}}])` };
  }
}
