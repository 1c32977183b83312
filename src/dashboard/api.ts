/**
 * The dashboard's view of the public HTTP API: the reply shapes it reads (docs/api.md) and a
 * small client. Admin actions carry the token a user gave, the same bearer token the CLI sends.
 */

import type {
  AnalysisInfo,
  AnalysisMetricSpecInfo,
  DecisionInfo,
  Evidence,
  FaultInfo,
  Info,
  ModelInfo,
  Phase,
  RolloutInfo,
  SeriesInfo,
  SeriesPointInfo,
  ShadowStatusInfo,
  Variant,
  VerdictInfo,
  VerdictStatus,
  VersionInfo,
} from '../wire/index.js';

export type { AnalysisInfo, Evidence, Info, ModelInfo, Phase, RolloutInfo, ShadowStatusInfo, Variant, VerdictStatus, VersionInfo };
export type Fault = FaultInfo;
export type Verdict = VerdictInfo;
export type Decision = DecisionInfo;
export type AnalysisMetricSpec = AnalysisMetricSpecInfo;
export type SeriesPoint = SeriesPointInfo;
export type Series = SeriesInfo;

export type RolloutCommand = 'pause' | 'resume' | 'promote' | 'abort' | 'retry';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'coalmine.adminToken';

export function adminToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setAdminToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = adminToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(res.status, err?.code ?? 'http_error', err?.message ?? `${method} ${path} answered ${res.status}`);
  }
  return json as T;
}

const m = (name: string) => `/v1/models/${encodeURIComponent(name)}`;

export const api = {
  info: () => call<Info>('GET', '/v1/info'),
  models: () => call<{ models: { name: string }[] }>('GET', '/v1/models'),
  model: (name: string) => call<ModelInfo>('GET', m(name)),
  series: (name: string, window = '15m') => call<Series>('GET', `${m(name)}/metrics/series?window=${window}`),
  analysis: (name: string) => call<AnalysisInfo>('GET', `${m(name)}/analysis`),
  /** The current (or last) rollout, or null when the model never had one. */
  rollout: async (name: string): Promise<RolloutInfo | null> => {
    try {
      return await call<RolloutInfo>('GET', `${m(name)}/rollout`);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'rollout_not_found') return null;
      throw err;
    }
  },
  history: (name: string) => call<{ rollout: string; decisions: Decision[] }>('GET', `${m(name)}/rollout/history?limit=500`),
  shadow: (name: string) => call<ShadowStatusInfo>('GET', `${m(name)}/shadow`),
  command: (name: string, command: RolloutCommand, body: { reason?: string; full?: boolean } = {}) => call<RolloutInfo>('POST', `${m(name)}/rollout/${command}`, body),
};
