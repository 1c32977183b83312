import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { AppError, GatewayApiTrafficSpec } from '../../domain/index.js';
import { deployment, fakeKubeConfig, startFakeKubeApi, type FakeKubeApi } from '../../test-support/fake-kube-api.js';
import { GatewayApiRouter, gatewayPlan } from './gateway-api-router.js';

const PATH = '/apis/gateway.networking.k8s.io/v1/namespaces/prod/httproutes/churn';
const spec: GatewayApiTrafficSpec = { router: 'gateway-api', namespace: 'prod', route: 'churn', rule: 1, deployment: '{{service}}' };
const route = () => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'churn', namespace: 'prod' },
  spec: {
    parentRefs: [{ name: 'gateway' }],
    rules: [
      { matches: [{ path: { type: 'PathPrefix', value: '/healthz' } }], backendRefs: [{ name: 'health', port: 80 }] },
      { matches: [{ path: { type: 'PathPrefix', value: '/v2' } }], backendRefs: [{ name: 'churn-v1', port: 8080 }] },
    ],
  },
});

let api: FakeKubeApi;
before(async () => (api = await startFakeKubeApi()));
after(() => api.close());
beforeEach(() => api.put(PATH, route()));
const refs = () => ((api.get(PATH) as ReturnType<typeof route>).spec.rules[1]!.backendRefs as { name: string; port: number; weight?: number }[]).map((r) => [r.name, r.port, r.weight]);

describe('Gateway API router (against a schema-checking fake API server; no cluster runs here)', () => {
  it('weighs exactly, in lowest terms', () => {
    assert.deepEqual([gatewayPlan(2000).stableWeight, gatewayPlan(2000).canaryWeight, gatewayPlan(2000).effectiveBp], [4, 1, 2000]);
  });

  it("sets the rule's backendRefs to both Services with their weights, leaves the other rules alone, and reads them back", async () => {
    const r = new GatewayApiRouter(spec, fakeKubeConfig(api));
    const target = { stable: 'churn-v1:8080', canary: 'churn-v2.prod.svc.cluster.local:8080', canaryWeightBp: 2000 };
    assert.equal(await r.verify(target), false);
    await r.setWeights(target);
    assert.deepEqual(refs(), [['churn-v1', 8080, 4], ['churn-v2', 8080, 1]]);
    assert.deepEqual((api.get(PATH) as ReturnType<typeof route>).spec.rules[0]!.backendRefs, [{ name: 'health', port: 80 }], 'rule 0 untouched');
    assert.equal(await r.verify(target), true);
    await r.setWeights({ stable: 'churn-v2:8080', canary: null, canaryWeightBp: 0 });
    assert.deepEqual(refs(), [['churn-v2', 8080, 1]], 'promoted: the new version alone');
  });

  it('retries on a fresh read when someone else changed the route at the same moment', async () => {
    const r = new GatewayApiRouter(spec, fakeKubeConfig(api));
    api.conflictOnce(PATH);
    await r.setWeights({ stable: 'churn-v1:8080', canary: 'churn-v2:8080', canaryWeightBp: 5000 });
    assert.deepEqual(refs(), [['churn-v1', 8080, 1], ['churn-v2', 8080, 1]]);
    assert.equal(api.requests.filter((x) => x === `PUT ${PATH}`).length >= 2, true);
  });

  it('says what is wrong: a missing route or rule, no permission, an endpoint that is no Service', async () => {
    const missing = new GatewayApiRouter({ ...spec, route: 'nope' }, fakeKubeConfig(api));
    await assert.rejects(missing.setWeights({ stable: 'churn-v1:8080', canary: null, canaryWeightBp: 0 }), (e: AppError) => e.code === 'router_unavailable' && /HTTP 404/.test(e.message) && /does not exist/.test(e.message));
    const noRule = new GatewayApiRouter({ ...spec, rule: 5 }, fakeKubeConfig(api));
    await assert.rejects(noRule.verify({ stable: 'churn-v1:8080', canary: null, canaryWeightBp: 0 }), /has no rule 5 \(it has 2\)/);
    await assert.rejects(new GatewayApiRouter(spec, fakeKubeConfig(api)).setWeights({ stable: 'Churn_V1:8080', canary: null, canaryWeightBp: 0 }), /does not name a Kubernetes Service/);
    api.forbid('/apis/gateway.networking.k8s.io/v1/namespaces/locked/httproutes/churn');
    await assert.rejects(new GatewayApiRouter({ ...spec, namespace: 'locked' }, fakeKubeConfig(api)).verify({ stable: 'churn-v1:8080', canary: null, canaryWeightBp: 0 }), (e: AppError) => /HTTP 403/.test(e.message) && /grant its service account/.test(e.message));
  });

  it('is tested against a fake that refuses what the API server would: no port for a Service, a weight over 1,000,000, an unknown field', async () => {
    const put = async (edit: (r: ReturnType<typeof route>) => void) => {
      const body = structuredClone(api.get(PATH)) as ReturnType<typeof route>;
      edit(body);
      const res = await fetch(`${api.url}${PATH}`, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      return { status: res.status, message: ((await res.json()) as { message: string }).message };
    };
    const noPort = await put((r) => (r.spec.rules[1]!.backendRefs = [{ name: 'churn-v2' } as { name: string; port: number }]));
    assert.equal(noPort.status, 422);
    assert.match(noPort.message, /Must have port for Service reference/);
    assert.equal((await put((r) => (r.spec.rules[1]!.backendRefs = [{ name: 'churn-v2', port: 8080, weight: 2_000_000 } as { name: string; port: number }]))).status, 422);
    assert.equal((await put((r) => Object.assign(r.spec, { weights: [1] }))).status, 422);
    assert.equal((await put(() => undefined)).status, 200, 'the object as it is passes');
  });

  it("takes a version's health from its Deployment's ready replicas", async () => {
    api.put('/apis/apps/v1/namespaces/prod/deployments/churn-v1', deployment('prod', 'churn-v1', 3, 3));
    api.put('/apis/apps/v1/namespaces/prod/deployments/churn-v2', deployment('prod', 'churn-v2', 3, 1));
    const r = new GatewayApiRouter(spec, fakeKubeConfig(api));
    assert.equal(await r.unready('churn-v1:8080'), undefined);
    assert.equal(await r.unready('churn-v2:8080'), 'Deployment prod/churn-v2 has 1/3 ready replicas');
    assert.match((await r.unready('churn-v9:8080'))!, /HTTP 404/);
  });
});
