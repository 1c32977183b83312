import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppError} from '../domain/index.js';
import { type Rollout } from '../domain/index.js';
import { parseRolloutSpec } from './rollout-spec.js';
import { transition } from './transition.js';

const refused = (input: unknown, pattern: RegExp) =>
  assert.throws(() => parseRolloutSpec(input), (err: AppError) => err.code === 'invalid_request' && pattern.test(err.message), `refuses ${JSON.stringify(input)} with ${pattern}`);

const haproxy = { router: 'haproxy', socket: '/run/haproxy/admin.sock', backend: 'model', servers: { stable: 'stable', canary: 'canary' } };
const prometheus = { provider: 'prometheus', url: 'http://127.0.0.1:9090/', preset: 'haproxy' };

describe('rollout spec: traffic and metrics', () => {
  it('reads the issue\'s YAML as written', () => {
    const s = parseRolloutSpec(`canary: 2
steps: [20, 50, 100]
interval: 5s
traffic:
  router: haproxy
  socket: /run/haproxy/admin.sock
  backend: model
  servers: {stable: stable, canary: canary}
metrics:
  provider: prometheus
  url: http://127.0.0.1:9090
  preset: haproxy
`);
    assert.deepEqual(s.traffic, haproxy);
    assert.deepEqual(s.metrics, { provider: 'prometheus', url: 'http://127.0.0.1:9090', preset: 'haproxy', queries: {}, latencyUnit: 's', errorLimit: 4, timeoutMs: 5000 });
  });

  it('takes builtin, or nothing, as coalmine itself', () => {
    assert.equal(parseRolloutSpec({ canary: 2, traffic: { router: 'builtin' }, metrics: { provider: 'builtin' } }).traffic, null);
    assert.equal(parseRolloutSpec({ canary: 2 }).metrics, null);
  });

  it('reads an nginx router and custom queries', () => {
    const s = parseRolloutSpec({
      canary: 2,
      traffic: { router: 'nginx', file: '/etc/nginx/coalmine/churn.conf', upstream: 'churn', status: '127.0.0.1:18081' },
      metrics: { provider: 'prometheus', url: 'http://prom:9090', queries: { requests: 'sum(increase(http_requests_total{instance="{{address}}"}[{{interval}}]))' }, errorLimit: 2, timeout: '2s' },
    });
    assert.equal(s.traffic?.router, 'nginx');
    assert.equal(s.metrics?.errorLimit, 2);
    assert.equal(s.metrics?.timeoutMs, 2000);
  });

  it('refuses what it cannot drive or measure, naming the field', () => {
    refused({ canary: 2, traffic: { router: 'istio' } }, /traffic.router must be one of builtin, haproxy, nginx/);
    refused({ canary: 2, traffic: { router: 'gateway-api', route: 'Churn' } }, /traffic.route must be an HTTPRoute name/);
    refused({ canary: 2, traffic: { router: 'ingress-nginx', ingress: 'a', canaryIngress: 'a' } }, /must be another Ingress/);
    refused({ canary: 2, traffic: { router: 'ingress-nginx', ingress: 'a', canaryIngress: 'b', weightTotal: 50 } }, /weightTotal must be a whole number from 100/);
    refused({ canary: 2, traffic: { ...haproxy, backend: 'a b' } }, /traffic.backend must be a HAProxy backend name/);
    refused({ canary: 2, traffic: { ...haproxy, servers: { stable: 'x', canary: 'x' } } }, /two different server slots/);
    refused({ canary: 2, traffic: { ...haproxy, sock: 'x' } }, /traffic has unknown field\(s\) sock/);
    refused({ canary: 2, traffic: { ...haproxy, socket: 'not a socket' } }, /traffic.socket/);
    refused({ canary: 2, traffic: { router: 'nginx', file: 'relative.conf', upstream: 'u' } }, /traffic.file must be an absolute path/);
    refused({ canary: 2, traffic: { router: 'nginx', file: '/etc/nginx/x.conf', upstream: 'u', reload: 'rm -rf /' } }, /traffic.reload cannot be set in a spec: .*COALMINE_NGINX_RELOAD_COMMAND/);
    refused({ canary: 2, traffic: { router: 'gateway-api', route: 'churn', kubeconfig: '/root/.kube/config' } }, /traffic.kubeconfig cannot be set in a spec/);
    refused({ canary: 2, metrics: { provider: 'datadog' } }, /metrics.provider must be builtin or prometheus/);
    refused({ canary: 2, metrics: { provider: 'prometheus', url: 'http://p:9090' } }, /needs a "requests" query/);
    refused({ canary: 2, metrics: { ...prometheus, preset: 'envoy' } }, /metrics.preset must be one of haproxy, mlserver/);
    refused({ canary: 2, metrics: { ...prometheus, queries: { requests: 'x{pod="{{pod}}"}' } } }, /unknown variable\(s\) \{\{pod\}\}/);
    refused({ canary: 2, metrics: { ...prometheus, queries: { p99: 'x' } } }, /metrics.queries has unknown field\(s\) p99/);
    refused({ canary: 2, metrics: prometheus, analysis: [{ metric: 'drift', judge: { judge: 'drift' } }] }, /drift, which the prometheus provider does not measure/);
  });
});

describe('measurement errors', () => {
  const spec = parseRolloutSpec({ canary: 2, steps: [20, 100], interval: '10s', metrics: { ...prometheus, errorLimit: 2 } });
  const at = Date.parse('2026-01-01T00:00:00Z');
  const r: Rollout = {
    id: 'r1', model: 'churn', revision: 1, spec, phase: 'progressing', stepIndex: 0, stepStartedAt: new Date(at).toISOString(), stepRoutingRevision: 3,
    startedAt: new Date(at).toISOString(), updatedAt: new Date(at).toISOString(), stableVersion: 1, consecutiveFailures: 0, nextAnalysisAt: null, reason: null, attempt: 1, history: [],
  };

  it('hold the step up to the limit, roll back past it, and a measurement that works resets the count', () => {
    const e = (state: Rollout, n: number) => transition(state, { type: 'measurement_error', at: at + n * 10_000, reason: 'Prometheus at http://p did not answer' });
    const one = e(r, 1);
    assert.ok(one.ok);
    assert.equal(one.next.phase, 'progressing');
    assert.equal(one.next.consecutiveErrors, 1);
    assert.match(one.next.history.at(-1)!.reason, /measurement error \(1 of 2 tolerated in a row\): Prometheus at http:\/\/p did not answer/);
    const two = e(one.next, 2);
    assert.ok(two.ok && two.next.phase === 'progressing');
    const three = e(two.next, 3);
    assert.ok(three.ok);
    assert.equal(three.next.phase, 'rolled_back');
    assert.match(three.next.reason!, /3 measurement errors in a row, more than the 2 tolerated/);
    assert.deepEqual(three.effects.filter((x) => x.type === 'rollback').length, 1);
    const judged = transition(two.next, { type: 'analysis', at: at + 30_000, result: { step: 0, weightBp: 2000, status: 'inconclusive', reason: '', srmMismatch: false, criticalFailure: false, verdicts: [], n: { stable: 1, canary: 1 } } });
    assert.ok(judged.ok);
    assert.equal(judged.next.consecutiveErrors, 0);
  });

  it('start a step\'s bake time when its weight reached the proxy, not when it was decided', () => {
    const late = transition({ ...r, stepRoutingRevision: null, nextAnalysisAt: new Date(at + 10_000).toISOString() }, { type: 'step_applied', at: at + 4000, routingRevision: 4 });
    assert.ok(late.ok);
    assert.equal(late.next.stepStartedAt, new Date(at + 4000).toISOString());
    assert.equal(late.next.nextAnalysisAt, new Date(at + 14_000).toISOString());
    const again = transition(late.next, { type: 'step_applied', at: at + 9000, routingRevision: 5 });
    assert.ok(again.ok);
    assert.equal(again.next.stepStartedAt, late.next.stepStartedAt, 'a later routing change within the step does not restart it');
  });
});
