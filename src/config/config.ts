import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, assertModelName, percentToBasisPoints, type BasisPoints } from '../domain/index.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Model served by the seed-compatible routes (`POST /predict`). */
  readonly defaultModel: string;
  /** Canary weight restored by `reset` (the lab's CANARY_PERCENTAGE). */
  readonly resetCanaryWeightBp: BasisPoints;
  /** Canary weight of `deploy` when the request names none. */
  readonly deployCanaryWeightBp: BasisPoints;
  readonly bodyLimitBytes: number;
  readonly uploadLimitBytes: number;
  readonly maxBatchRows: number;
  /** Most rows one model call scores when concurrent requests are batched together; 0 turns batching off. */
  readonly microBatchRows: number;
  /** A model call slower than this is a model error for its variant. */
  readonly predictTimeoutMs: number;
  /** Shadow calls open at once at most (per process); a request sampled beyond it is dropped and counted. */
  readonly shadowMaxInFlight: number;
  /** A shadow call slower than this is the shadow's error. */
  readonly shadowTimeoutMs: number;
  /** How long sampled requests wait to go to the shadow together (0: the next turn). */
  readonly shadowBatchMs: number;
  /** Share of sampled requests still shadowed while the event loop is saturated (1: never shed). */
  readonly shadowBusyShare: number;
  /** How long served predictions are kept for late labels. */
  readonly predictionRetentionMs: number;
  readonly predictionLogMaxRows: number;
  /** How long telemetry buckets are kept. */
  readonly telemetryRetentionMs: number;
  /** How often telemetry and the prediction log are written to the store. */
  readonly flushIntervalMs: number;
  /** The lab's ACCURACY_THRESHOLD, in percent: /check_rollback rolls back below it. */
  readonly accuracyThresholdPct: number;
  /** The lab's LATENCY_THRESHOLD, in ms: /check_rollback rolls back when canary p95 exceeds it. */
  readonly latencyThresholdMs: number;
  readonly logLevel: LogLevel;
  /** The built dashboard (static files) served at `/`. */
  readonly dashboardDir: string;
  /** How often the live stream pushes fresh chart points. */
  readonly streamTickMs: number;
  /** Live-stream connections served at once; more are refused with 503. */
  readonly maxStreams: number;
  /** Bearer token for admin operations (null: none set; the app may still find a token file). */
  readonly adminToken: string | null;
  /** Read-only views (models, metrics, rollouts, the stream) need the token too. */
  readonly protectReads: boolean;
  /** A failing canary is answered by stable (its error still counts against it). */
  readonly fallback: boolean;
  /** Predict requests per second allowed per client address; null: no limit. */
  readonly rateLimitPerSecond: number | null;
  /** Labels per second accepted from one client address (feedback); 0: no limit. */
  readonly feedbackRateLimitPerSecond: number;
  /** Host names served besides IP literals and loopback names; `*` serves any. */
  readonly allowedHosts: readonly string[];
  /** A request (headers and body) must arrive within this time, or it is answered 408 and closed. */
  readonly requestTimeoutMs: number;
  /** Open connections allowed from one client address; 0: no limit. */
  readonly maxConnectionsPerClient: number;
  /** Uploads received at once (each is streamed to disk); more are refused with 503. */
  readonly maxConcurrentUploads: number;
  /** How often each serving model server's readiness is checked again. */
  readonly upstreamReadinessIntervalMs: number;
  /**
   * The shared state of several replicas (`postgres://…`); null: the embedded SQLite database in
   * the data directory, which one process owns.
   */
  readonly databaseUrl: string | null;
  /** How long the rollout controller's lease lasts unless renewed (with replicas): the longest a rollout goes undriven after its controller dies. */
  readonly leaseTtlMs: number;
  /**
   * What a rollout that drives a proxy may touch on this machine, set by whoever runs the server,
   * never by an API call: the directory the nginx router may write upstream files in (null: no
   * nginx router), the commands that check and reload nginx, and the kubeconfig the Kubernetes
   * routers use (null: KUBECONFIG, ~/.kube/config or the pod's service account).
   */
  readonly proxies: {
    readonly nginxIncludeDir: string | null;
    readonly nginxTestCommand: string;
    readonly nginxReloadCommand: string;
    readonly kubeconfig: string | null;
  };
}

/** Everything a caller may set explicitly (CLI flags, tests); unset fields come from the environment. */
export type ConfigOverrides = Partial<Config>;

/** `npm run build` writes the dashboard here (the same place from src/ under tsx and from dist/). */
const BUILT_DASHBOARD = fileURLToPath(new URL('../../dist/dashboard', import.meta.url));

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function configError(message: string): AppError {
  return new AppError('invalid_request', `configuration: ${message}`);
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw configError(`${key}=${raw} must be a whole number between ${min} and ${max}`);
  }
  return value;
}

function boolFrom(env: NodeJS.ProcessEnv, key: string, fallback: boolean): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw configError(`${key}=${env[key]} must be true or false`);
}

/** Short or blank tokens are guessable: refuse them rather than run with a false sense of safety. */
export function checkToken(token: string, what: string): string {
  if (token.length < 16 || /\s/.test(token)) throw configError(`${what} must be at least 16 characters without spaces (e.g. openssl rand -hex 32)`);
  return token;
}

function tokenFrom(env: NodeJS.ProcessEnv): string | null {
  const raw = env.COALMINE_ADMIN_TOKEN?.trim();
  return raw ? raw : null;
}

function percentFrom(env: NodeJS.ProcessEnv, key: string, fallback: number): BasisPoints {
  const raw = env[key];
  if (raw === undefined || raw === '') return percentToBasisPoints(fallback);
  try {
    return percentToBasisPoints(Number(raw), key);
  } catch (err) {
    throw configError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * The only reader of `process.env`. Explicit overrides (CLI flags) win over the environment,
 * which wins over the defaults below; the result is validated and frozen.
 */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const logLevel = overrides.logLevel ?? (env.COALMINE_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw configError(`COALMINE_LOG_LEVEL=${logLevel} must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const resetCanaryWeightBp = overrides.resetCanaryWeightBp ?? percentFrom(env, 'COALMINE_CANARY_PERCENTAGE', 20);
  const config: Config = {
    host: overrides.host ?? env.COALMINE_HOST ?? '127.0.0.1',
    port: overrides.port ?? intFrom(env, 'COALMINE_PORT', 8080, 0, 65535),
    dataDir: resolve(overrides.dataDir ?? env.COALMINE_DATA_DIR ?? './.coalmine'),
    defaultModel: assertModelName(overrides.defaultModel ?? env.COALMINE_DEFAULT_MODEL ?? 'churn'),
    resetCanaryWeightBp,
    // One default canary share: a deploy that names no weight gets what a reset restores.
    deployCanaryWeightBp: overrides.deployCanaryWeightBp ?? percentFrom(env, 'COALMINE_DEPLOY_WEIGHT', resetCanaryWeightBp / 100),
    bodyLimitBytes: overrides.bodyLimitBytes ?? intFrom(env, 'COALMINE_BODY_LIMIT', 1024 * 1024, 1024, 1024 ** 3),
    uploadLimitBytes:
      overrides.uploadLimitBytes ?? intFrom(env, 'COALMINE_UPLOAD_LIMIT', 256 * 1024 * 1024, 1024, 4 * 1024 ** 3),
    maxBatchRows: overrides.maxBatchRows ?? intFrom(env, 'COALMINE_MAX_BATCH_ROWS', 1000, 1, 1_000_000),
    microBatchRows: overrides.microBatchRows ?? intFrom(env, 'COALMINE_MICRO_BATCH_ROWS', 128, 0, 100_000),
    predictTimeoutMs: overrides.predictTimeoutMs ?? intFrom(env, 'COALMINE_PREDICT_TIMEOUT_MS', 30_000, 1, 600_000),
    shadowMaxInFlight: overrides.shadowMaxInFlight ?? intFrom(env, 'COALMINE_SHADOW_MAX_IN_FLIGHT', 64, 1, 100_000),
    shadowTimeoutMs: overrides.shadowTimeoutMs ?? intFrom(env, 'COALMINE_SHADOW_TIMEOUT_MS', 5000, 1, 600_000),
    shadowBatchMs: overrides.shadowBatchMs ?? intFrom(env, 'COALMINE_SHADOW_BATCH_MS', 10, 0, 1000),
    shadowBusyShare: overrides.shadowBusyShare ?? intFrom(env, 'COALMINE_SHADOW_BUSY_PERCENT', 2, 0, 100) / 100,
    predictionRetentionMs: overrides.predictionRetentionMs ?? intFrom(env, 'COALMINE_PREDICTION_RETENTION_HOURS', 24, 1, 24 * 365) * 3_600_000,
    predictionLogMaxRows: overrides.predictionLogMaxRows ?? intFrom(env, 'COALMINE_PREDICTION_LOG_MAX_ROWS', 2_000_000, 1000, 1_000_000_000),
    telemetryRetentionMs: overrides.telemetryRetentionMs ?? intFrom(env, 'COALMINE_TELEMETRY_RETENTION_HOURS', 168, 1, 24 * 365) * 3_600_000,
    flushIntervalMs: overrides.flushIntervalMs ?? intFrom(env, 'COALMINE_FLUSH_INTERVAL_MS', 1000, 10, 60_000),
    accuracyThresholdPct: overrides.accuracyThresholdPct ?? intFrom(env, 'ACCURACY_THRESHOLD', intFrom(env, 'COALMINE_ACCURACY_THRESHOLD', 85, 0, 100), 0, 100),
    latencyThresholdMs: overrides.latencyThresholdMs ?? intFrom(env, 'LATENCY_THRESHOLD', intFrom(env, 'COALMINE_LATENCY_THRESHOLD', 100, 1, 600_000), 1, 600_000),
    logLevel,
    dashboardDir: resolve(overrides.dashboardDir ?? env.COALMINE_DASHBOARD_DIR ?? BUILT_DASHBOARD),
    streamTickMs: overrides.streamTickMs ?? intFrom(env, 'COALMINE_STREAM_TICK_MS', 1000, 100, 60_000),
    maxStreams: overrides.maxStreams ?? intFrom(env, 'COALMINE_MAX_STREAMS', 100, 1, 10_000),
    adminToken: overrides.adminToken !== undefined ? overrides.adminToken : tokenFrom(env),
    protectReads: overrides.protectReads ?? boolFrom(env, 'COALMINE_PROTECT_READS', false),
    fallback: overrides.fallback ?? boolFrom(env, 'COALMINE_FALLBACK', true),
    rateLimitPerSecond: overrides.rateLimitPerSecond !== undefined ? overrides.rateLimitPerSecond : env.COALMINE_RATE_LIMIT ? intFrom(env, 'COALMINE_RATE_LIMIT', 0, 1, 1_000_000) : null,
    feedbackRateLimitPerSecond: overrides.feedbackRateLimitPerSecond ?? intFrom(env, 'COALMINE_FEEDBACK_RATE_LIMIT', 20_000, 0, 10_000_000),
    allowedHosts: overrides.allowedHosts ?? hostsFrom(env),
    requestTimeoutMs: overrides.requestTimeoutMs ?? intFrom(env, 'COALMINE_REQUEST_TIMEOUT_MS', 30_000, 1000, 3_600_000),
    maxConnectionsPerClient: overrides.maxConnectionsPerClient ?? intFrom(env, 'COALMINE_MAX_CONNECTIONS_PER_CLIENT', 512, 0, 1_000_000),
    maxConcurrentUploads: overrides.maxConcurrentUploads ?? intFrom(env, 'COALMINE_MAX_CONCURRENT_UPLOADS', 2, 1, 64),
    upstreamReadinessIntervalMs: overrides.upstreamReadinessIntervalMs ?? intFrom(env, 'COALMINE_UPSTREAM_READINESS_INTERVAL_MS', 5000, 100, 600_000),
    leaseTtlMs: overrides.leaseTtlMs ?? intFrom(env, 'COALMINE_LEASE_TTL_MS', 10_000, 1000, 600_000),
    databaseUrl: databaseUrlFrom(overrides.databaseUrl !== undefined ? overrides.databaseUrl : env.COALMINE_DATABASE_URL?.trim() || null),
    proxies: overrides.proxies ?? {
      nginxIncludeDir: env.COALMINE_NGINX_INCLUDE_DIR?.trim() ? resolve(env.COALMINE_NGINX_INCLUDE_DIR.trim()) : null,
      nginxTestCommand: env.COALMINE_NGINX_TEST_COMMAND?.trim() || 'nginx -t',
      nginxReloadCommand: env.COALMINE_NGINX_RELOAD_COMMAND?.trim() || 'nginx -s reload',
      kubeconfig: env.COALMINE_KUBECONFIG?.trim() ? resolve(env.COALMINE_KUBECONFIG.trim()) : null,
    },
  };
  if (config.adminToken !== null) checkToken(config.adminToken, 'the admin token');
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
    throw configError(`port ${config.port} must be between 0 and 65535`);
  }
  return Object.freeze(config);
}

function databaseUrlFrom(raw: string | null): string | null {
  if (raw === null || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError('COALMINE_DATABASE_URL (--database-url) is not a URL; give postgres://user:password@host:5432/database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw configError(`COALMINE_DATABASE_URL (--database-url) must be a postgres:// URL, not ${url.protocol}//…; leave it unset for the embedded SQLite database in the data directory`);
  }
  return raw;
}

/** A database URL fit for logs and messages: the password replaced. */
export function redactDatabaseUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'the database';
  }
}

function hostsFrom(env: NodeJS.ProcessEnv): string[] {
  const raw = env.COALMINE_ALLOWED_HOSTS?.trim();
  if (!raw) return [];
  const hosts = raw.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of hosts) {
    if (h !== '*' && !/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(h)) {
      throw configError(`COALMINE_ALLOWED_HOSTS: "${h}" is not a host name (e.g. coalmine.internal, .example.com for its subdomains, or * for any)`);
    }
  }
  return hosts;
}

/** The model CLI commands act on when none is named. */
export function defaultModelName(override: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return assertModelName(override ?? env.COALMINE_DEFAULT_MODEL ?? 'churn');
}

/** The token the CLI sends: --token, else COALMINE_ADMIN_TOKEN (else the CLI looks for the token file). */
export function clientToken(override: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  return override?.trim() || tokenFrom(env);
}

/** The data directory the CLI looks in for the token file. */
export function clientDataDir(override: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(override ?? env.COALMINE_DATA_DIR ?? './.coalmine');
}

/** Client-side settings for CLI commands that talk to a running server. */
export function clientUrl(override: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = override ?? env.COALMINE_URL ?? 'http://127.0.0.1:8080';
  try {
    return new URL(url).toString().replace(/\/$/, '');
  } catch {
    throw configError(`server URL "${url}" is not a valid URL (e.g. http://127.0.0.1:8080)`);
  }
}
