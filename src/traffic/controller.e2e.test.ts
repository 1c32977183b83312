import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { haproxyUnavailable, startWeightedHaproxy, type WeightedHaproxy } from '../test-support/haproxy.js';
import { startOpenInferenceServer, type RunningServer, type TestModel } from '../test-support/model-servers/index.js';
import { prometheusUnavailable, startPrometheus, type RunningPrometheus } from '../test-support/prometheus.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { HaproxyRouter } from './haproxy/haproxy-router.js';

/**
 * The controller shape end to end, every part real: clients talk to HAProxy, which splits
 * between two model servers; coalmine is not in the data path. It sets HAProxy's weights through
 * the runtime API and judges each step from what Prometheus scraped off HAProxy's exporter.
 */
const skip = haproxyUnavailable() ?? prometheusUnavailable() ?? false;
const MODEL: TestModel = { name: 'churn', inputs: [{ name: 'input', width: 3 }], weights: [1.5, -2, 0.5], bias: 0.1 };

let haproxy: WeightedHaproxy;
let prometheus: RunningPrometheus;
let s: TestServer;
const servers: RunningServer[] = [];
let stopTraffic = () => undefined as void;
let failedRequests = 0;

/** Clients of the model, through HAProxy: four at a time, until told to stop. */
function traffic(url: string): () => void {
  let running = true;
  const agent = new Agent({ connections: 8 });
  const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], data: [0.2, -0.1, 0.4] }] });
  const loop = async () => {
    while (running) {
      try {
        const res = await request(`${url}/v2/models/churn/infer`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
        await res.body.dump();
        if (res.statusCode >= 500) failedRequests++;
      } catch {
        failedRequests++;
      }
      await sleep(5);
    }
  };
  for (let i = 0; i < 4; i++) void loop();
  return () => {
    running = false;
    void agent.close();
  };
}

const router = () => new HaproxyRouter({ socket: haproxy.socket, backend: 'model', servers: { stable: 'stable', canary: 'canary' } });

/** Polls the rollout to a terminal phase, reading HAProxy's canary weight from its socket all along. */
async function follow(model: string): Promise<{ rollout: Record<string, unknown>; weights: number[] }> {
  const weights: number[] = [];
  for (const end = Date.now() + 90_000; Date.now() < end; await sleep(100)) {
    const w = (await router().state()).canary.weight;
    if (weights.at(-1) !== w) weights.push(w);
    const r = await s.request('GET', `/v1/models/${model}/rollout`);
    if (['succeeded', 'rolled_back', 'failed'].includes(r.json.phase as string)) return { rollout: r.json, weights };
  }
  const r = await s.request('GET', `/v1/models/${model}/rollout/history`);
  const reasons = (r.json.decisions as { action: string; reason: string }[]).map((d) => `${d.action}: ${d.reason}`).join('\n');
  return assert.fail(`the rollout of ${model} did not finish within 90 s; its decisions:\n${reasons}`);
}

const spec = (canary: number) => ({
  canary,
  steps: [20, 50, 100],
  interval: '2s',
  minSamples: 20,
  traffic: { router: 'haproxy', socket: haproxy.socket, backend: 'model', servers: { stable: 'stable', canary: 'canary' } },
  metrics: { provider: 'prometheus', url: prometheus.url, preset: 'haproxy' },
  analysis: [
    { name: 'error_rate', metric: 'error_rate', critical: true, judge: { judge: 'threshold', statistic: 'rate', max: 0.05, minSamples: 20 } },
    { name: 'latency', metric: 'latency', judge: { judge: 'relative', statistic: 'mean', better: 'lower', maxIncrease: 1, slack: 50 } },
  ],
});

describe('a rollout through HAProxy, judged from Prometheus', { skip }, () => {
  before(async () => {
    for (let i = 0; i < 3; i++) servers.push(await startOpenInferenceServer(MODEL));
    servers[2]!.knobs.failRate = 0.3;
    haproxy = await startWeightedHaproxy({ stable: new URL(servers[0]!.url).host });
    prometheus = await startPrometheus([haproxy.metricsUrl]);
    s = await startTestServer({ examples: false });
    for (const [i, server] of servers.entries()) {
      const r = await s.request('POST', '/v1/models/churn/versions', { upstream: { url: `${server.url}/v2/models/churn` }, description: `v${i + 1}` });
      assert.equal(r.status, 201, JSON.stringify(r.json));
    }
    stopTraffic = traffic(haproxy.url);
  });
  after(async () => {
    stopTraffic();
    await s?.close();
    await prometheus?.stop();
    await haproxy?.stop();
    await Promise.all(servers.map((x) => x.close()));
  });

  it('walks a healthy canary through the steps, the weights read back from HAProxy matching each, and ends with all traffic on it', async () => {
    const started = await s.request('POST', '/v1/models/churn/rollout', spec(2));
    assert.equal(started.status, 201, JSON.stringify(started.json));
    assert.equal(started.json.traffic.router, 'haproxy');
    assert.equal(started.json.traffic.effective_weight, 19.92, 'status shows the share HAProxy rounds 20% to (51/256)');
    const { rollout, weights } = await follow('churn');
    assert.equal(rollout.phase, 'succeeded', JSON.stringify(rollout.reason));
    // 256 is the promotion's hand-over: the canary slot carries everything while the stable slot moves to v2.
    assert.deepEqual(weights.filter((w) => w !== 0 && w !== 256), [51, 128], `HAProxy held 51/256 at 20% and 128/256 at 50% (seen: ${weights.join(', ')})`);
    const state = await router().state();
    assert.equal(`${state.stable.addr}:${state.stable.port}`, new URL(servers[1]!.url).host, 'the stable slot now points at v2');
    assert.deepEqual([state.stable.weight, state.canary.weight], [256, 0]);
    const history = await s.request('GET', '/v1/models/churn/rollout/history');
    const judged = (history.json.decisions as { analysis?: { verdicts: { metric: string; evidence: { queries?: Record<string, { canary: string }> } }[] } }[]).filter((d) => d.analysis);
    assert.ok(judged.length >= 2, 'each step was judged');
    const errors = judged[0]!.analysis!.verdicts.find((v) => v.metric === 'error_rate')!;
    assert.match(errors.evidence.queries!.errors!.canary, /haproxy_server_http_responses_total\{proxy="model",server="canary",code="5xx"\}\[\d+ms\]/, 'the verdict shows the PromQL behind it');
    const before = servers[0]!.received.length;
    await sleep(500);
    assert.equal(servers[0]!.received.length, before, 'v1 gets no more traffic');
    const model = await s.request('GET', '/v1/models/churn');
    assert.equal(model.json.stable_version, 2, "coalmine's record agrees");
    assert.equal(failedRequests, 0, 'no client request failed through the steps and the promotion hand-over');
  });

  it('rolls back a canary whose server fails 30% of requests, its weight back to 0, with the error rate and the PromQL as the reason', async () => {
    const started = await s.request('POST', '/v1/models/churn/rollout', spec(3));
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const { rollout, weights } = await follow('churn');
    assert.equal(rollout.phase, 'rolled_back');
    assert.ok(weights.includes(51), `the canary got its 20% first (seen: ${weights.join(', ')})`);
    // The decision is saved before it is carried out, so the weight follows within moments.
    let weight = -1;
    for (const end = Date.now() + 5000; Date.now() < end && weight !== 0; await sleep(50)) weight = (await router().state()).canary.weight;
    assert.equal(weight, 0, "HAProxy's canary weight is back to 0");
    assert.match(rollout.reason as string, /critical metric failed \(error_rate\)/);
    const last = rollout.last_decision as { analysis: { verdicts: { metric: string; status: string; reason: string; evidence: { estimate: { canary: number }; queries: Record<string, { canary: string }> } }[] } };
    const v = last.analysis.verdicts.find((x) => x.metric === 'error_rate')!;
    assert.equal(v.status, 'fail');
    assert.ok(v.evidence.estimate.canary > 0.15 && v.evidence.estimate.canary < 0.45, `the measured error rate is about 30%: ${v.evidence.estimate.canary}`);
    assert.match(v.evidence.queries.errors!.canary, /code="5xx"/);
    const model = await s.request('GET', '/v1/models/churn');
    assert.equal(model.json.stable_version, 2);
    assert.equal(model.json.canary_version, null);
    const report = await s.request('GET', '/v1/models/churn/rollout/report?format=json');
    const judged = (report.json.steps as { verdicts: { metric: string; queries?: Record<string, { canary: string }> }[] }[])[0]!.verdicts.find((x) => x.metric === 'error_rate')!;
    assert.match(judged.queries!.errors!.canary, /code="5xx"/, 'the report carries the PromQL too');
    const text = await (await fetch(`${s.url}/v1/models/churn/rollout/report?format=markdown`)).text();
    assert.match(text, /errors: `sum\(increase\(haproxy_server_http_responses_total\{proxy="model",server="canary",code="5xx"\}/);
  });
  it('drives HAProxy for every routing change, by hand or by rollout, once the model is set to external routing', async () => {
    const traffic = spec(2).traffic;
    const refused = await s.request('PUT', '/v1/models/churn/external-routing', { traffic: { ...traffic, socket: '/nonexistent/haproxy.sock' } });
    assert.equal(refused.status, 424, JSON.stringify(refused.json));
    assert.equal(refused.json.error.code, 'router_unavailable');
    assert.equal((await s.request('GET', '/v1/models/churn/external-routing')).json.external_routing, null, 'a proxy it cannot reach is not saved');
    assert.equal((await s.request('PUT', '/v1/models/churn/external-routing', { traffic, extra: 1 })).status, 400);

    const set = await s.request('PUT', '/v1/models/churn/external-routing', { traffic, metrics: spec(2).metrics });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    assert.equal(set.json.external_routing.router, 'haproxy');
    assert.equal((await s.request('GET', '/v1/models/churn')).json.external_routing.metrics.provider, 'prometheus');
    const slots = async () => {
      const st = await router().state();
      return { canary: `${st.canary.addr}:${st.canary.port}`, weights: [st.stable.weight, st.canary.weight] };
    };
    const v1 = new URL(servers[0]!.url).host;
    assert.equal((await s.request('POST', '/v1/models/churn/deploy', { version: 1, weight: 10 })).status, 200);
    assert.deepEqual(await slots(), { canary: v1, weights: [230, 26] }, 'a manual deploy points the canary slot at v1 with 10% (26/256)');
    assert.equal((await s.request('PUT', '/v1/models/churn/traffic', { canary_weight: 50 })).status, 200);
    assert.deepEqual((await slots()).weights, [128, 128]);
    assert.equal((await s.request('POST', '/v1/models/churn/rollback', { reason: 'by hand' })).status, 200);
    assert.deepEqual((await slots()).weights, [256, 0]);
    assert.equal((await s.request('GET', '/v1/models/churn')).json.canary_version, null);

    const r = await s.request('POST', '/v1/models/churn/rollout', { canary: 1, steps: [20, 100], interval: '1h' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.traffic.router, 'haproxy', "a spec without traffic: takes the model's");
    assert.equal(r.json.metrics.provider, 'prometheus');
    assert.deepEqual((await slots()).weights, [205, 51]);
    assert.equal((await s.request('POST', '/v1/models/churn/rollout/abort', { reason: 'enough' })).status, 200);
    let weights: number[] = [];
    for (const end = Date.now() + 5000; Date.now() < end && weights[1] !== 0; await sleep(50)) weights = (await slots()).weights;
    assert.deepEqual(weights, [256, 0]);

    const cleared = await s.request('DELETE', '/v1/models/churn/external-routing');
    assert.equal(cleared.status, 200);
    assert.equal(cleared.json.external_routing, null);
  });
  it("checks each version's readiness URL before the start and before every step, holding the step while the canary is not ready", async () => {
    const traffic = { ...spec(1).traffic, readiness: '/v2/health/ready' };
    servers[0]!.knobs.ready = false;
    const refused = await s.request('POST', '/v1/models/churn/rollout', { ...spec(1), traffic });
    assert.equal(refused.status, 424, JSON.stringify(refused.json));
    assert.match(refused.json.error.message, new RegExp(`canary v1 is not ready, so the rollout does not start: GET http://${new URL(servers[0]!.url).host}/v2/health/ready answered 503`));
    servers[0]!.knobs.ready = true;
    const started = await s.request('POST', '/v1/models/churn/rollout', { ...spec(1), traffic, interval: '1s', failureLimit: 100, steps: [{ weight: 20, bake: '1h' }, 100] });
    assert.equal(started.status, 201, JSON.stringify(started.json));
    servers[0]!.knobs.ready = false;
    let held: string | undefined;
    for (const end = Date.now() + 20_000; Date.now() < end && !held; await sleep(100)) {
      const h = await s.request('GET', '/v1/models/churn/rollout/history');
      held = (h.json.decisions as { action: string; reason: string }[]).find((d) => d.action === 'hold' && /not ready/.test(d.reason))?.reason;
    }
    assert.match(held ?? '', /holding at 20%, not judged: canary v1 is not ready: GET .*\/v2\/health\/ready answered 503/);
    servers[0]!.knobs.ready = true;
    assert.equal((await s.request('POST', '/v1/models/churn/rollout/abort')).status, 200);
  });
});
