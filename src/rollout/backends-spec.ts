import { appError, METRIC_QUERIES, parseEndpoint, type MetricQuery, type MetricsSpec, type TrafficSpec } from '../domain/index.js';
import { PRESETS, unknownVariables } from '../metrics/index.js';

/* The `traffic:` and `metrics:` sections of a rollout spec: which proxy splits the traffic, and where the measurements come from. */

type Raw = Record<string, unknown>;

const fail = (field: string, message: string): never => {
  throw appError('invalid_request', `rollout spec: ${field} ${message}`);
};

function object(value: unknown, field: string, example: string): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(field, `must be an object, e.g. ${example}`);
  return value as Raw;
}

function only(raw: Raw, field: string, known: readonly string[]): void {
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length > 0) fail(field, `has unknown field(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
}

function text(value: unknown, field: string, max = 500, pattern?: RegExp, what?: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) return fail(field, `must be a non-empty string of at most ${max} characters`);
  if (pattern && !pattern.test(value)) fail(field, `${what ?? 'is malformed'}, got ${JSON.stringify(value)}`);
  return value;
}

const optional = <T>(value: unknown, read: (v: unknown) => T): T | undefined => (value === undefined ? undefined : read(value));

/** HAProxy and nginx names: letters, digits and . _ - : (no spaces, nothing a command line or config could split on). */
const NAME = /^[A-Za-z0-9._:-]{1,100}$/;
const ROUTERS = ['haproxy', 'nginx', 'gateway-api', 'ingress-nginx'] as const;
/** Kubernetes object names (DNS-1123 subdomains) and namespaces (labels). */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const K8S_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function readiness(value: unknown, field: string): string | undefined {
  return optional(value, (v) => {
    const s = text(v, field, 2048);
    if (s.startsWith('/')) return s;
    if (!/^https?:\/\//.test(s)) fail(field, 'must be a path on the version\'s endpoint ("/ready") or an http(s) URL with {{endpoint}} in it');
    return s;
  });
}

export function parseTrafficSpec(value: unknown): TrafficSpec | null {
  if (value === undefined || value === null) return null;
  const raw = object(value, 'traffic', '{"router": "haproxy", "socket": "/run/haproxy/admin.sock", "backend": "model", "servers": {"stable": "stable", "canary": "canary"}}');
  if (raw.router === 'builtin') {
    only(raw, 'traffic', ['router']);
    return null;
  }
  if (!(ROUTERS as readonly unknown[]).includes(raw.router)) {
    return fail('traffic.router', `must be one of builtin, ${ROUTERS.join(', ')}, got ${JSON.stringify(raw.router)}`);
  }
  if (raw.router === 'gateway-api' || raw.router === 'ingress-nginx') return kubernetesSpec(raw);
  if (raw.router === 'haproxy') {
    only(raw, 'traffic', ['router', 'socket', 'backend', 'servers', 'readiness']);
    const socket = text(raw.socket, 'traffic.socket', 1000);
    if (!socket.startsWith('/')) parseEndpoint(socket, 'traffic.socket (a unix socket path, or host:port of a TCP stats socket)');
    const servers = object(raw.servers ?? { stable: 'stable', canary: 'canary' }, 'traffic.servers', '{"stable": "stable", "canary": "canary"}');
    only(servers, 'traffic.servers', ['stable', 'canary']);
    const stable = text(servers.stable, 'traffic.servers.stable', 100, NAME, 'must be a HAProxy server name');
    const canary = text(servers.canary, 'traffic.servers.canary', 100, NAME, 'must be a HAProxy server name');
    if (stable === canary) fail('traffic.servers', 'must name two different server slots');
    const ready = readiness(raw.readiness, 'traffic.readiness');
    return { router: 'haproxy', socket, backend: text(raw.backend, 'traffic.backend', 100, NAME, 'must be a HAProxy backend name'), servers: { stable, canary }, ...(ready ? { readiness: ready } : {}) };
  }
  // Which commands run and which directory may be written are the server's to say (COALMINE_NGINX_*), never an API caller's.
  for (const k of ['test', 'reload']) if (raw[k] !== undefined) fail(`traffic.${k}`, `cannot be set in a spec: the command that ${k === 'test' ? 'checks' : 'reloads'} nginx is the server's COALMINE_NGINX_${k.toUpperCase()}_COMMAND`);
  only(raw, 'traffic', ['router', 'file', 'upstream', 'status', 'keepalive', 'readiness']);
  const file = text(raw.file, 'traffic.file', 1000, /^\/[^\0]*\.conf$/, 'must be an absolute path ending in .conf');
  const status = optional(raw.status, (v) => parseEndpoint(v, 'traffic.status'));
  const keepalive = optional(raw.keepalive, (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 10_000 ? v : fail('traffic.keepalive', 'must be a whole number from 0 to 10000')));
  const ready = readiness(raw.readiness, 'traffic.readiness');
  return {
    router: 'nginx',
    file,
    upstream: text(raw.upstream, 'traffic.upstream', 100, /^[A-Za-z0-9_.-]{1,100}$/, 'must be an nginx upstream name'),
    ...(status !== undefined ? { status } : {}),
    ...(keepalive !== undefined ? { keepalive } : {}),
    ...(ready ? { readiness: ready } : {}),
  };
}

function kubernetesSpec(raw: Raw): TrafficSpec {
  const own = raw.router === 'gateway-api' ? ['route', 'rule'] : ['ingress', 'canaryIngress', 'weightTotal'];
  if (raw.kubeconfig !== undefined) fail('traffic.kubeconfig', "cannot be set in a spec: the cluster's credentials are the server's COALMINE_KUBECONFIG (or its default lookup); name a context of it with traffic.context");
  only(raw, 'traffic', ['router', 'namespace', 'context', 'deployment', 'readiness', ...own]);
  const namespace = text(raw.namespace ?? 'default', 'traffic.namespace', 63, K8S_LABEL, 'must be a Kubernetes namespace');
  const context = optional(raw.context, (v) => text(v, 'traffic.context', 253));
  const deployment = text(raw.deployment ?? '{{service}}', 'traffic.deployment', 253, /^[a-z0-9{}.-]+$/, 'must be a Deployment name, with {{service}} for the Service\'s name');
  const ready = readiness(raw.readiness, 'traffic.readiness');
  const common = { namespace, deployment, ...(context ? { context } : {}), ...(ready ? { readiness: ready } : {}) };
  if (raw.router === 'gateway-api') {
    const rule = raw.rule ?? 0;
    if (typeof rule !== 'number' || !Number.isInteger(rule) || rule < 0 || rule > 63) fail('traffic.rule', 'must be the index of one of the HTTPRoute\'s rules (0 to 63)');
    return { router: 'gateway-api', route: text(raw.route, 'traffic.route', 253, K8S_NAME, 'must be an HTTPRoute name'), rule: rule as number, ...common };
  }
  const weightTotal = raw.weightTotal ?? 100;
  if (typeof weightTotal !== 'number' || !Number.isInteger(weightTotal) || weightTotal < 100 || weightTotal > 10_000) fail('traffic.weightTotal', 'must be a whole number from 100 to 10000');
  const ingress = text(raw.ingress, 'traffic.ingress', 253, K8S_NAME, 'must be an Ingress name');
  const canaryIngress = text(raw.canaryIngress, 'traffic.canaryIngress', 253, K8S_NAME, 'must be an Ingress name');
  if (ingress === canaryIngress) fail('traffic.canaryIngress', 'must be another Ingress than traffic.ingress');
  return { router: 'ingress-nginx', ingress, canaryIngress, weightTotal: weightTotal as number, ...common };
}

const DEFAULT_ERROR_LIMIT = 4;

export function parseMetricsSpec(value: unknown): MetricsSpec | null {
  if (value === undefined || value === null) return null;
  const raw = object(value, 'metrics', '{"provider": "prometheus", "url": "http://127.0.0.1:9090", "preset": "haproxy"}');
  if (raw.provider === 'builtin') {
    only(raw, 'metrics', ['provider']);
    return null;
  }
  if (raw.provider !== 'prometheus') return fail('metrics.provider', `must be builtin or prometheus, got ${JSON.stringify(raw.provider)}`);
  only(raw, 'metrics', ['provider', 'url', 'preset', 'queries', 'latencyUnit', 'errorLimit', 'timeout']);
  const url = text(raw.url, 'metrics.url', 2048, /^https?:\/\/[^\s]+$/, 'must be the http(s) URL of a Prometheus server');
  const preset = raw.preset === undefined || raw.preset === null ? null : raw.preset;
  if (preset !== null && !Object.keys(PRESETS).includes(preset as string)) fail('metrics.preset', `must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(preset)}`);
  const queries: Partial<Record<MetricQuery, string>> = {};
  if (raw.queries !== undefined) {
    const q = object(raw.queries, 'metrics.queries', '{"requests": "sum(increase(http_requests_total{instance=\\"{{address}}\\"}[{{interval}}]))"}');
    only(q, 'metrics.queries', METRIC_QUERIES);
    for (const [k, v] of Object.entries(q)) {
      const t = text(v, `metrics.queries.${k}`, 4000);
      const unknown = unknownVariables(t);
      if (unknown.length > 0) fail(`metrics.queries.${k}`, `names unknown variable(s) ${unknown.map((u) => `{{${u}}}`).join(', ')}; known: {{model}} {{version}} {{variant}} {{server}} {{address}} {{backend}} {{interval}}`);
      queries[k as MetricQuery] = t;
    }
  }
  const merged = { ...(preset ? PRESETS[preset as keyof typeof PRESETS] : {}), ...queries };
  if (merged.requests === undefined) fail('metrics', 'needs a "requests" query: give a preset (haproxy, mlserver) or metrics.queries.requests');
  const latencyUnit = raw.latencyUnit ?? 's';
  if (latencyUnit !== 's' && latencyUnit !== 'ms') fail('metrics.latencyUnit', 'must be "s" or "ms"');
  const errorLimit = raw.errorLimit ?? DEFAULT_ERROR_LIMIT;
  if (typeof errorLimit !== 'number' || !Number.isInteger(errorLimit) || errorLimit < 0 || errorLimit > 100) fail('metrics.errorLimit', 'must be a whole number from 0 to 100');
  let timeoutMs = 5000;
  if (raw.timeout !== undefined) {
    const m = typeof raw.timeout === 'string' ? /^(\d{1,6})(ms|s)$/.exec(raw.timeout) : null;
    timeoutMs = typeof raw.timeout === 'number' ? raw.timeout * 1000 : m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
    if (!(timeoutMs >= 100 && timeoutMs <= 60_000)) fail('metrics.timeout', 'must be a duration from 100ms to 60s, e.g. 5s');
  }
  return { provider: 'prometheus', url: url.replace(/\/+$/, ''), preset: preset as MetricsSpec['preset'], queries, latencyUnit: latencyUnit as 's' | 'ms', errorLimit: errorLimit as number, timeoutMs };
}
