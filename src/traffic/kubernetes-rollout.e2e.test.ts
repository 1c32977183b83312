import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deployment, fakeKubeconfigYaml, startFakeKubeApi, type FakeKubeApi } from '../test-support/fake-kube-api.js';
import { startOpenInferenceServer, type RunningServer, type TestModel } from '../test-support/model-servers/index.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

/**
 * A rollout through ingress-nginx, from the HTTP API to the Kubernetes objects: the spec names a
 * kubeconfig (pointing at a schema-checking fake API server: no cluster runs here), the versions
 * are Services, and their Deployments' ready replicas are their health.
 */
const MODEL: TestModel = { name: 'churn', inputs: [{ name: 'input', width: 3 }], weights: [1, -1, 0.5], bias: 0 };
const ING = '/apis/networking.k8s.io/v1/namespaces/prod/ingresses';
const DEP = '/apis/apps/v1/namespaces/prod/deployments';
const ingress = (name: string, service: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'prod', annotations },
  spec: { rules: [{ host: 'churn.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: 8080 } } } }] } }] },
});
type Ing = ReturnType<typeof ingress>;

let api: FakeKubeApi;
let s: TestServer;
let dir: string;
const servers: RunningServer[] = [];

before(async () => {
  api = await startFakeKubeApi();
  api.put(`${ING}/churn`, ingress('churn', 'churn-v1'));
  api.put(`${ING}/churn-canary`, ingress('churn-canary', 'churn-v1', { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '0' }));
  api.put(`${DEP}/churn-v1`, deployment('prod', 'churn-v1', 2, 2));
  api.put(`${DEP}/churn-v2`, deployment('prod', 'churn-v2', 2, 1));
  dir = mkdtempSync(join(tmpdir(), 'coalmine-kube-'));
  writeFileSync(join(dir, 'kubeconfig'), fakeKubeconfigYaml(api));
  for (let i = 0; i < 2; i++) servers.push(await startOpenInferenceServer(MODEL));
  // The cluster's credentials are the server's to give (COALMINE_KUBECONFIG), never a spec's.
  s = await startTestServer({ examples: false, overrides: { proxies: { nginxIncludeDir: null, nginxTestCommand: 'nginx -t', nginxReloadCommand: 'nginx -s reload', kubeconfig: join(dir, 'kubeconfig') } } });
  for (const [i, server] of servers.entries()) {
    const r = await s.request('POST', '/v1/models/churn/versions', { upstream: { url: `${server.url}/v2/models/churn` }, endpoint: `churn-v${i + 1}:8080` });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.endpoint, `churn-v${i + 1}:8080`);
  }
});
after(async () => {
  await s?.close();
  await Promise.all(servers.map((x) => x.close()));
  await api?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a rollout through ingress-nginx (fake API server)', () => {
  const spec = () => ({
    canary: 2,
    steps: [20, 50, 100],
    interval: '1h',
    traffic: { router: 'ingress-nginx', namespace: 'prod', ingress: 'churn', canaryIngress: 'churn-canary', context: 'fake' },
  });

  it('takes the cluster from the server, not from the spec', async () => {
    const r = await s.request('POST', '/v1/models/churn/rollout', { ...spec(), traffic: { ...spec().traffic, kubeconfig: '/etc/passwd' } });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /traffic.kubeconfig cannot be set in a spec: .*COALMINE_KUBECONFIG/);
    const other = await s.request('POST', '/v1/models/churn/rollout', { ...spec(), traffic: { ...spec().traffic, context: 'prod' } });
    assert.equal(other.status, 400);
    assert.match(other.json.error.message, /traffic.context "prod" is not a context of the server's kubeconfig \(it has fake\)/);
  });

  it("does not start while the canary's Deployment is not ready, and says so", async () => {
    const r = await s.request('POST', '/v1/models/churn/rollout', spec());
    assert.equal(r.status, 424, JSON.stringify(r.json));
    assert.equal(r.json.error.code, 'upstream_unavailable');
    assert.match(r.json.error.message, /canary v2 is not ready.*Deployment prod\/churn-v2 has 1\/2 ready replicas/);
    assert.equal((api.get(`${ING}/churn-canary`) as Ing).metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'], '0', 'nothing changed');
  });

  it('walks the steps in the Ingress objects and promotes by moving the main Ingress', async () => {
    api.put(`${DEP}/churn-v2`, deployment('prod', 'churn-v2', 2, 2));
    const r = await s.request('POST', '/v1/models/churn/rollout', spec());
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.traffic.router, 'ingress-nginx');
    assert.deepEqual(r.json.traffic.proxy_weights, { stable: 80, canary: 20 });
    const canary = () => api.get(`${ING}/churn-canary`) as Ing;
    assert.equal(canary().metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'], '20');
    assert.equal(canary().spec.rules[0]!.http.paths[0]!.backend.service.name, 'churn-v2');
    assert.equal((await s.request('POST', '/v1/models/churn/rollout/promote')).status, 200);
    assert.equal(canary().metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'], '50');
    const done = await s.request('POST', '/v1/models/churn/rollout/promote', { full: true });
    assert.equal(done.status, 200, JSON.stringify(done.json));
    for (let i = 0; i < 100 && (await s.request('GET', '/v1/models/churn/rollout')).json.phase !== 'succeeded'; i++) await new Promise((x) => setTimeout(x, 50));
    assert.equal((await s.request('GET', '/v1/models/churn/rollout')).json.phase, 'succeeded');
    assert.equal((api.get(`${ING}/churn`) as Ing).spec.rules[0]!.http.paths[0]!.backend.service.name, 'churn-v2', 'the main Ingress serves v2');
    assert.equal(canary().metadata.annotations['nginx.ingress.kubernetes.io/canary-weight'], '0');
    assert.equal((await s.request('GET', '/v1/models/churn')).json.stable_version, 2);
  });
});
