/**
 * Typed client for the coalmine HTTP API, used by the CLI (and usable from scripts). Errors from
 * the server arrive as `{ error: { code, message } }` and are rethrown as ApiError with both.
 */
import type { AnalysisInfo, DecisionInfo, EventInfo, ExternalRoutingInfo, FaultInfo, MetricsInfo, ModelInfo, ModelSummary, PredictReply, RollbackCheckInfo, RolloutInfo, ShadowComparisonInfo, ShadowStatusInfo, VariantMetricsInfo, VerdictInfo, VersionInfo } from '../wire/index.js';
export type { AnalysisInfo, DecisionInfo, EventInfo, FaultInfo, MetricsInfo, ModelInfo, ModelSummary, PredictReply, RollbackCheckInfo, RolloutInfo, ShadowComparisonInfo, ShadowStatusInfo, VariantMetricsInfo, VerdictInfo, VersionInfo };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface FaultInput {
  variant?: string;
  wrong?: number;
  delay_ms?: number | [number, number];
  errors?: number;
  clear?: boolean;
}

export interface PredictInput {
  features: number[] | number[][];
  key?: string;
  label?: number | string;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    /** Sent as a bearer token: admin operations need it when the server has one. */
    readonly token: string | null = null,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const init: RequestInit = { method, headers: this.token ? { authorization: `Bearer ${this.token}` } : {} };
    if (body !== undefined) {
      init.body = body instanceof Uint8Array ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = contentType;
    }
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, init);
    } catch (err) {
      const reason = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError(0, 'unreachable', `cannot reach coalmine at ${this.baseUrl} (${reason}); start it with \`coalmine serve\` or pass --url`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad_reply', `${this.baseUrl} answered ${res.status} with something that is not JSON; is it a coalmine server?`);
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } }).error;
      throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }

  listModels = () => this.call<{ models: ModelSummary[] }>('GET', '/v1/models').then((r) => r.models);
  getModel = (name: string) => this.call<ModelInfo>('GET', `/v1/models/${encodeURIComponent(name)}`);
  events = (name: string, limit = 10) =>
    this.call<{ events: EventInfo[] }>('GET', `/v1/models/${encodeURIComponent(name)}/events?limit=${limit}`).then((r) => r.events);

  register(name: string, bytes: Uint8Array, meta: { description?: string | undefined; source?: string; metrics?: Record<string, number>; endpoint?: string | undefined }) {
    const q = new URLSearchParams();
    if (meta.description) q.set('description', meta.description);
    if (meta.source) q.set('source', meta.source);
    if (meta.endpoint) q.set('endpoint', meta.endpoint);
    const metrics = Object.entries(meta.metrics ?? {});
    if (metrics.length > 0) q.set('metrics', metrics.map(([k, v]) => `${k}=${v}`).join(','));
    const qs = q.toString();
    return this.call<VersionInfo & { model: string }>('POST', `/v1/models/${encodeURIComponent(name)}/versions${qs ? `?${qs}` : ''}`, bytes, 'application/octet-stream');
  }

  registerUpstream(
    name: string,
    upstream: { url: string; protocol?: string | undefined; features?: number | undefined; task?: 'classifier' | 'regressor' | undefined },
    meta: { description?: string | undefined; source?: string | undefined; metrics?: Record<string, number>; endpoint?: string | undefined },
  ) {
    const body = {
      upstream: Object.fromEntries(Object.entries(upstream).filter(([, v]) => v !== undefined)),
      ...(meta.description ? { description: meta.description } : {}),
      ...(meta.source ? { source: meta.source } : {}),
      ...(meta.metrics && Object.keys(meta.metrics).length > 0 ? { metrics: meta.metrics } : {}),
      ...(meta.endpoint ? { endpoint: meta.endpoint } : {}),
    };
    return this.call<VersionInfo & { model: string }>('POST', `/v1/models/${encodeURIComponent(name)}/versions`, body);
  }

  setWeight = (name: string, percent: number) => this.call<ModelInfo>('PUT', `/v1/models/${encodeURIComponent(name)}/traffic`, { canary_weight: percent });
  deploy = (name: string, version: number, weight?: number) =>
    this.call<ModelInfo>('POST', `/v1/models/${encodeURIComponent(name)}/deploy`, weight === undefined ? { version } : { version, weight });
  promote = (name: string) => this.call<ModelInfo>('POST', `/v1/models/${encodeURIComponent(name)}/promote`);
  externalRouting = (name: string, method: 'GET' | 'PUT' | 'DELETE', body?: unknown) =>
    this.call<{ model: string; external_routing: ExternalRoutingInfo | null }>(method, `/v1/models/${encodeURIComponent(name)}/external-routing`, body);
  rollback = (name: string, reason?: string) =>
    this.call<ModelInfo>('POST', `/v1/models/${encodeURIComponent(name)}/rollback`, reason ? { reason } : undefined);
  reset = (name: string) => this.call<ModelInfo>('POST', `/v1/models/${encodeURIComponent(name)}/reset`);
  metrics = (name: string, window?: string) =>
    this.call<MetricsInfo>('GET', `/v1/models/${encodeURIComponent(name)}/metrics${window ? `?window=${encodeURIComponent(window)}` : ''}`);
  analysis = (name: string) => this.call<AnalysisInfo>('GET', `/v1/models/${encodeURIComponent(name)}/analysis`);
  setFault = (name: string, input: FaultInput) =>
    this.call<{ model: string; faults: Record<string, FaultInfo> }>('POST', `/v1/models/${encodeURIComponent(name)}/faults`, input);
  labFailure = (on: boolean) => this.call<{ simulate_failure: boolean; message: string }>('POST', `/simulate_failure/${on ? 1 : 0}`);
  checkRollback = () => this.call<RollbackCheckInfo>('POST', '/check_rollback');
  feedback = (items: { request_id: string; label: number | string; row?: number }[]) =>
    this.call<{ accepted: number; rejected: number; results: { request_id: string; status: string; message: string }[] }>('POST', '/v1/feedback', { items });
  rolloutStart = (name: string, spec: unknown) => this.call<RolloutInfo>('POST', `/v1/models/${encodeURIComponent(name)}/rollout`, spec);
  rolloutStartYaml = (name: string, yaml: string) => this.call<RolloutInfo>('POST', `/v1/models/${encodeURIComponent(name)}/rollout`, new TextEncoder().encode(yaml), 'application/yaml');
  rollout = (name: string) => this.call<RolloutInfo>('GET', `/v1/models/${encodeURIComponent(name)}/rollout`);
  rolloutCommand = (name: string, command: 'pause' | 'resume' | 'promote' | 'abort' | 'retry', body?: { reason?: string; full?: boolean }) =>
    this.call<RolloutInfo>('POST', `/v1/models/${encodeURIComponent(name)}/rollout/${command}`, body);
  rolloutHistory = (name: string) => this.call<{ rollout: string; phase: string; decisions: DecisionInfo[] }>('GET', `/v1/models/${encodeURIComponent(name)}/rollout/history`);
  async rolloutReportMarkdown(name: string): Promise<string> {
    const res = await fetch(`${this.baseUrl}/v1/models/${encodeURIComponent(name)}/rollout/report?format=markdown`).catch((err: unknown) => {
      throw new ApiError(0, 'unreachable', `cannot reach coalmine at ${this.baseUrl} (${(err as Error).message})`);
    });
    const text = await res.text();
    if (!res.ok) {
      const e = (JSON.parse(text) as { error?: { code: string; message: string } }).error;
      throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `HTTP ${res.status}`);
    }
    return text;
  }
  rolloutReport = (name: string) => this.call<unknown>('GET', `/v1/models/${encodeURIComponent(name)}/rollout/report?format=json`);
  shadowStart = (name: string, body: unknown) => this.call<ShadowStatusInfo>('POST', `/v1/models/${encodeURIComponent(name)}/shadow`, body);
  shadowStatus = (name: string) => this.call<ShadowStatusInfo>('GET', `/v1/models/${encodeURIComponent(name)}/shadow`);
  shadowStop = (name: string, reason?: string) => this.call<ShadowStatusInfo>('DELETE', `/v1/models/${encodeURIComponent(name)}/shadow`, reason ? { reason } : undefined);
  shadowPromote = (name: string, body: { force?: boolean; rollout?: Record<string, unknown> }) => this.call<RolloutInfo>('POST', `/v1/models/${encodeURIComponent(name)}/shadow/promote`, body);
  shadowComparisons = (name: string, limit: number, disagreeing: boolean) =>
    this.call<{ model: string; session: string | null; comparisons: ShadowComparisonInfo[] }>('GET', `/v1/models/${encodeURIComponent(name)}/shadow/comparisons?limit=${limit}${disagreeing ? '&disagreeing=true' : ''}`);
  predict = (name: string, input: PredictInput) => this.call<PredictReply>('POST', `/v1/models/${encodeURIComponent(name)}/predict`, input);
}
