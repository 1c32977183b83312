import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AppError, IngressNginxTrafficSpec } from '../../domain/index.js';
import { fakeKubeConfig, startFakeKubeApi, type FakeKubeApi } from '../../test-support/fake-kube-api.js';
import { IngressNginxRouter, ingressNginxPlan } from './ingress-nginx-router.js';

const base = '/apis/networking.k8s.io/v1/namespaces/prod/ingresses';
const spec: IngressNginxTrafficSpec = { router: 'ingress-nginx', namespace: 'prod', ingress: 'churn', canaryIngress: 'churn-canary', weightTotal: 100, deployment: '{{service}}' };
const ingress = (name: string, service: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'prod', annotations },
  spec: { ingressClassName: 'nginx', rules: [{ host: 'churn.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 8080 } } } }] } }] },
});

let api: FakeKubeApi;
before(async () => (api = await startFakeKubeApi()));
after(() => api.close());
beforeEach(() => {
  api.put(`${base}/churn`, ingress('churn', 'churn-v1'));
  api.put(`${base}/churn-canary`, ingress('churn-canary', 'churn-v1', { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '0' }));
});
type Ing = ReturnType<typeof ingress>;
const svc = (name: string) => (api.get(`${base}/${name}`) as Ing).spec.rules[0]!.http.paths[0]!.backend.service.name;
const annotations = () => (api.get(`${base}/churn-canary`) as Ing).metadata.annotations;

describe('ingress-nginx router (against a schema-checking fake API server; no cluster runs here)', () => {
  it('rounds to whole percent by default, or to canary-weight-total', () => {
    assert.deepEqual([ingressNginxPlan(2000).canaryWeight, ingressNginxPlan(2050).canaryWeight, ingressNginxPlan(1).canaryWeight, ingressNginxPlan(9999).canaryWeight], [20, 21, 1, 99]);
    assert.equal(ingressNginxPlan(2050).effectiveBp, 2100);
    assert.equal(ingressNginxPlan(2050, 10_000).effectiveBp, 2050);
  });

  it('points the canary Ingress at the canary Service with its weight, as seed 003 does, and reads both back', async () => {
    const r = new IngressNginxRouter(spec, fakeKubeConfig(api));
    const target = { stable: 'churn-v1:8080', canary: 'churn-v2:8080', canaryWeightBp: 2000 };
    await r.setWeights(target);
    assert.equal(svc('churn'), 'churn-v1');
    assert.equal(svc('churn-canary'), 'churn-v2');
    assert.deepEqual(annotations(), { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '20', 'nginx.ingress.kubernetes.io/canary-weight-total': '100' });
    assert.equal(await r.verify(target), true);
    assert.equal(await r.verify({ ...target, canaryWeightBp: 5000 }), false);
  });

  it('promotes by moving the main Ingress to the new version while the canary Ingress carries everything, then sets its weight to 0', async () => {
    const r = new IngressNginxRouter(spec, fakeKubeConfig(api));
    await r.setWeights({ stable: 'churn-v1:8080', canary: 'churn-v2:8080', canaryWeightBp: 5000 });
    const writes = api.requests.length;
    await r.setWeights({ stable: 'churn-v2:8080', canary: null, canaryWeightBp: 0 });
    assert.equal(svc('churn'), 'churn-v2');
    assert.equal(annotations()['nginx.ingress.kubernetes.io/canary-weight'], '0');
    const weights = api.requests.slice(writes).filter((x) => x.startsWith('PUT'));
    assert.ok(weights.length >= 3, `the hand-over takes several writes: ${weights.join(', ')}`);
  });

  it('says which Ingress is missing', async () => {
    const r = new IngressNginxRouter({ ...spec, canaryIngress: 'nope' }, fakeKubeConfig(api));
    await assert.rejects(r.setWeights({ stable: 'churn-v1:8080', canary: 'churn-v2:8080', canaryWeightBp: 1000 }), (e: AppError) => e.code === 'router_unavailable' && /Ingress prod\/nope: HTTP 404/.test(e.message));
  });
});
