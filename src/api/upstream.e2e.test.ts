import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { probabilityOf, startMlflowServer, startOpenInferenceServer, startTfServingServer, type RunningServer, type TestModel } from '../test-support/model-servers/index.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

/** One model, served by three kinds of model server: the same answers whichever serves. */
const MODEL: TestModel = { name: 'churn', inputs: [{ name: 'input', width: 3 }], weights: [1.5, -2, 0.5], bias: 0.1 };
const row = (i: number): number[] => [((i * 37) % 11) / 5 - 1, ((i * 17) % 7) / 3 - 1, ((i * 53) % 13) / 6 - 1];
/** The ground truth the feedback sends: what the model answers, so a correct server is always right. */
const truth = (r: number[]): number => (probabilityOf(MODEL, r) >= 0.5 ? 1 : 0);

let oip: RunningServer;
let mlflow: RunningServer;
let tf: RunningServer;
let s: TestServer;

before(async () => {
  [oip, mlflow, tf] = await Promise.all([startOpenInferenceServer(MODEL, { version: '3' }), startMlflowServer(MODEL, 'probabilities'), startTfServingServer(MODEL)]);
  s = await startTestServer({ examples: false, overrides: { predictTimeoutMs: 500 } });
});
after(async () => {
  await s.close();
  await Promise.all([oip.close(), mlflow.close(), tf.close()]);
});

const register = (model: string, upstream: Record<string, unknown>, extra: Record<string, unknown> = {}) => s.request('POST', `/v1/models/${model}/versions`, { upstream, ...extra });
const predict = (model: string, features: unknown, headers: Record<string, string> = {}) => s.request('POST', `/v1/models/${model}/predict`, { features }, headers);

describe('versions served by model servers', () => {
  it('registers an Open Inference Protocol model from its metadata, and serves it', async () => {
    const r = await register('gw', { url: `${oip.url}/v2/models/churn/versions/3` }, { description: 'triton' });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.deepEqual(r.json.upstream, { url: `${oip.url}/v2/models/churn/versions/3`, protocol: 'open-inference' });
    assert.deepEqual(r.json.signature.inputs, [{ name: 'input', type: 'float32', shape: [-1, 3] }]);
    assert.deepEqual(r.json.signature.outputs, { probabilities: 'probability', label: 'label' });
    assert.equal(r.json.signature.task, 'binary_classifier');
    assert.equal(r.json.sha256, null);
    assert.equal(r.json.role, 'stable');

    const p = await predict('gw', row(1));
    assert.equal(p.status, 200, JSON.stringify(p.json));
    assert.ok(Math.abs(p.json.probability - probabilityOf(MODEL, row(1))) < 1e-6, `${p.json.probability}`);
    assert.equal(p.json.prediction, truth(row(1)));
    const sent = oip.received.at(-1)!;
    assert.equal(sent.headers['x-request-id'], p.json.request_id, 'the request id goes upstream as a header');
    assert.equal((sent.body as { id: string }).id, p.json.request_id, 'and as the V2 request id');

    const batch = await predict('gw', [row(2), row(3), row(4)]);
    assert.equal(batch.json.predictions.length, 3);
    assert.equal((oip.received.at(-1)!.body as { inputs: { shape: number[] }[] }).inputs[0]!.shape[0], 3, 'a batch goes upstream as one call');
  });

  it('registers an MLflow scoring server from --features and a probe, and a TF Serving model', async () => {
    const ml = await register('gw', { url: mlflow.url, features: 3 }, { metrics: { accuracy: 0.91 } });
    assert.equal(ml.status, 201, JSON.stringify(ml.json));
    assert.equal(ml.json.version, 2);
    assert.deepEqual(ml.json.upstream, { url: mlflow.url, protocol: 'mlflow' });
    assert.equal(ml.json.signature.task, 'binary_classifier');
    assert.deepEqual(ml.json.signature.outputs, { probabilities: 'predictions' });
    // TF Serving publishes its SignatureDef: no --features needed.
    const t = await register('gw', { url: `${tf.url}/v1/models/churn`, task: 'classifier' });
    assert.equal(t.status, 201, JSON.stringify(t.json));
    assert.equal(t.json.upstream.protocol, 'tf-serving');
    assert.equal(t.json.signature.task, 'binary_classifier');
    assert.deepEqual(t.json.signature.inputs, [{ name: 'x', type: 'float32', shape: [-1, 3] }], 'the inputs of its metadata');
    for (const v of [2, 3]) {
      assert.equal((await s.request('POST', '/v1/models/gw/deploy', { version: v, weight: 0 })).status, 200);
      const p = await predict('gw', row(5), { 'x-coalmine-variant': 'canary' });
      assert.equal(p.status, 200, JSON.stringify(p.json));
      assert.equal(p.json.version, v);
      assert.ok(Math.abs(p.json.probability - probabilityOf(MODEL, row(5))) < 1e-6, `v${v}: ${p.json.probability}`);
    }
    assert.equal(mlflow.received.at(-1)?.headers['x-request-id'] !== undefined, true);
    assert.equal((await s.request('POST', '/v1/models/gw/rollback')).status, 200);
  });

  it('reads what an MLflow pyfunc answers: records of named columns, or bare class labels', async () => {
    const records = await startMlflowServer(MODEL, 'records');
    const labels = await startMlflowServer(MODEL, 'labels');
    try {
      const r = await register('mlrec', { url: records.url, features: 3 });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      assert.deepEqual(r.json.signature.outputs, { probabilities: 'probability', label: 'predicted_label' });
      const p = await predict('mlrec', row(3));
      assert.ok(Math.abs(p.json.probability - probabilityOf(MODEL, row(3))) < 1e-9);
      assert.equal(p.json.prediction, truth(row(3)));
      const l = await register('mllab', { url: labels.url, features: 3, task: 'classifier' });
      assert.equal(l.status, 201, JSON.stringify(l.json));
      assert.deepEqual(l.json.signature.outputs, { label: 'predictions' });
      const q = await predict('mllab', [row(4), row(5)]);
      assert.deepEqual(q.json.predictions, [{ prediction: truth(row(4)) }, { prediction: truth(row(5)) }], 'labels only: no probability to show');
      const fb = await s.request('POST', '/v1/feedback', { request_id: q.json.request_id, row: 1, label: truth(row(5)) });
      assert.equal(fb.status, 200, `a label joins a label-only prediction: ${JSON.stringify(fb.json)}`);
    } finally {
      await Promise.all([records.close(), labels.close()]);
    }
  });

  it('refuses an upstream it cannot use, with what was tried, and registers nothing', async () => {
    const before = (await s.request('GET', '/v1/models/gw')).json.versions.length;
    const closed = await register('gw', { url: 'http://127.0.0.1:9/v2/models/churn' });
    assert.equal(closed.status, 424, JSON.stringify(closed.json));
    assert.equal(closed.json.error.code, 'upstream_unavailable');
    assert.match(closed.json.error.message, /http:\/\/127\.0\.0\.1:9\/v2\/models\/churn is not ready to serve: GET http:\/\/127\.0\.0\.1:9\/v2\/health\/ready: connection refused/);
    const unknown = await register('gw', { url: `${oip.url}/v2/models/nope` });
    assert.equal(unknown.status, 424);
    assert.match(unknown.json.error.message, /GET .*\/v2\/models\/nope\/ready answered 404/);
    const noFeatures = await register('gw', { url: mlflow.url });
    assert.equal(noFeatures.status, 400);
    assert.match(noFeatures.json.error.message, /publishes no signature.*--features N/);
    const kserveV1 = await startTfServingServer(MODEL, { metadata: false });
    try {
      const noMetadata = await register('gw', { url: `${kserveV1.url}/v1/models/churn` });
      assert.equal(noMetadata.status, 400);
      assert.match(noMetadata.json.error.message, /GET .*\/v1\/models\/churn\/metadata answered 404, so coalmine cannot tell what it takes: give the number of features \(--features N/);
    } finally {
      await kserveV1.close();
    }
    const wrongWidth = await register('gw', { url: mlflow.url, features: 5 });
    assert.equal(wrongWidth.status, 424);
    assert.match(wrongWidth.json.error.message, /refused a probe row of input: float64\[N, 5\] \(400: Failed to enforce schema of data: row 0 must hold 3 numbers\)/);
    const badUrl = await register('gw', { url: 'http://127.0.0.1:1/somewhere/else' });
    assert.equal(badUrl.status, 400);
    assert.match(badUrl.json.error.message, /cannot tell the protocol.*Open Inference Protocol/);
    const badField = await register('gw', { url: mlflow.url, feature: 3 });
    assert.equal(badField.status, 400);
    assert.match(badField.json.error.message, /upstream has unknown field\(s\) feature/);
    mlflow.knobs.ready = false;
    const notReady = await register('other', { url: mlflow.url, features: 3, task: 'regressor' });
    mlflow.knobs.ready = true;
    assert.equal(notReady.status, 424);
    assert.match(notReady.json.error.message, /GET http:\/\/127\.0\.0\.1:\d+\/ping answered 503/);
    const again = await register('gw', { url: `${oip.url}/v2/models/churn/versions/3` });
    assert.equal(again.status, 409, 'the same URL twice');
    assert.equal((await s.request('GET', '/v1/models/gw')).json.versions.length, before);
    assert.equal((await s.request('GET', '/v1/models/other')).status, 404);
  });

  it('answers a canary\'s failures, timeouts and refused connections from stable, and counts them against the canary', async () => {
    assert.equal((await s.request('POST', '/v1/models/gw/deploy', { version: 2, weight: 100 })).status, 200);
    const before = (await s.request('GET', '/v1/models/gw/metrics')).json.variants.canary.errors;
    mlflow.knobs.failWith = 503;
    const failed = await predict('gw', row(6));
    mlflow.knobs.failWith = null;
    mlflow.knobs.delayMs = 2000;
    const slow = await predict('gw', row(7));
    mlflow.knobs.delayMs = 0;
    for (const p of [failed, slow]) {
      assert.equal(p.status, 200, JSON.stringify(p.json));
      assert.equal(p.json.variant, 'stable');
      assert.equal(p.json.fallback, true);
    }
    const forced = await predict('gw', row(8), { 'x-coalmine-variant': 'canary' });
    assert.equal(forced.status, 200, 'the knobs are back: the canary answers');
    mlflow.knobs.failWith = 500;
    const testerSees = await predict('gw', row(8), { 'x-coalmine-variant': 'canary' });
    mlflow.knobs.failWith = null;
    assert.equal(testerSees.status, 500);
    assert.equal(testerSees.json.error.code, 'model_error');
    assert.match(testerSees.json.error.message, /answered 500: injected failure/);
    await s.app.flush();
    const after = (await s.request('GET', '/v1/models/gw/metrics')).json.variants.canary.errors;
    assert.equal(after - before, 2, 'the failure and the timeout count against the canary (forced requests aside)');
  });

  it('returns an upstream\'s refusal of the input as the caller\'s 400, blaming no version', async () => {
    const p = await predict('gw', [1, 2, 3], { 'x-coalmine-variant': 'stable' });
    assert.equal(p.status, 200);
    oip.knobs.failWith = 422;
    const refused = await predict('gw', [1, 2, 3], { 'x-coalmine-variant': 'stable' });
    oip.knobs.failWith = null;
    assert.equal(refused.status, 400, JSON.stringify(refused.json));
    assert.equal(refused.json.error.code, 'upstream_rejected');
    assert.match(refused.json.error.message, /the model server refused the input \(422\): injected failure/);
  });

  it('sends a canary whose model server stops being ready no traffic, and says why', async () => {
    mlflow.knobs.ready = false;
    await s.app.pool.checkReadiness();
    const view = (await s.request('GET', '/v1/models/gw')).json;
    const canary = view.versions.find((v: { version: number }) => v.version === 2);
    assert.equal(canary.status, 'not_ready');
    assert.match(canary.not_ready, /\/ping answered 503/);
    const p = await predict('gw', row(9));
    assert.equal(p.json.variant, 'stable', 'canary at 100%, but not ready: stable answers');
    assert.equal(p.json.fallback, undefined);
    const ready = await s.request('GET', '/readyz');
    assert.equal(ready.status, 503);
    const deploy = await s.request('POST', '/v1/models/gw/deploy', { version: 2, weight: 10 });
    assert.equal(deploy.status, 424, 'a deploy checks readiness again');
    mlflow.knobs.ready = true;
    await s.app.pool.checkReadiness();
    assert.equal((await predict('gw', row(9))).json.variant, 'canary');
    assert.equal((await s.request('POST', '/v1/models/gw/rollback')).status, 200);
  });
});

describe('model-server versions across restarts', () => {
  it('serves them again after a restart, and loads one whose server was down at start once it is up', async () => {
    const server = await startOpenInferenceServer(MODEL);
    const first = await startTestServer({ examples: false, keepDataDir: true });
    const dataDir = first.dataDir;
    try {
      assert.equal((await first.request('POST', '/v1/models/rs/versions', { upstream: { url: `${server.url}/v2/models/churn` } })).status, 201);
      await first.close();
      const again = await startTestServer({ examples: false, dataDir, keepDataDir: true });
      try {
        const p = await again.request('POST', '/v1/models/rs/predict', { features: row(1) });
        assert.equal(p.status, 200, JSON.stringify(p.json));
      } finally {
        await again.close();
      }
      server.knobs.ready = false;
      const third = await startTestServer({ examples: false, dataDir });
      try {
        assert.equal((await third.request('GET', '/readyz')).status, 503, 'its model server is not ready');
        const view = (await third.request('GET', '/v1/models/rs')).json;
        assert.match(view.versions[0].load_error, /its model server is not ready/);
        server.knobs.ready = true;
        await third.app.pool.checkReadiness();
        assert.equal((await third.request('GET', '/readyz')).status, 200, 'loaded once the server is ready');
        assert.equal((await third.request('POST', '/v1/models/rs/predict', { features: row(2) })).status, 200);
      } finally {
        await third.close();
      }
    } finally {
      await server.close();
    }
  });
});

describe('rollouts between model servers', () => {
  const spec = (extra: Record<string, unknown> = {}) => ({
    canary: 2,
    steps: [50],
    interval: '300ms',
    analysis: [
      { metric: 'error_rate', critical: true, judge: { judge: 'threshold', statistic: 'rate', max: 0.05, minSamples: 20 } },
      { metric: 'accuracy', judge: { judge: 'threshold', statistic: 'rate', min: 0.9, minSamples: 20 } },
    ],
    ...extra,
  });

  /** Predicts and labels rows until the rollout leaves `progressing`, or the deadline. */
  async function drive(model: string, until: (phase: string) => boolean): Promise<Record<string, unknown>> {
    for (let i = 0; i < 400; i++) {
      const rows = Array.from({ length: 10 }, (_, k) => row(i * 10 + k));
      const replies = await Promise.all(rows.map((r) => predict(model, r)));
      const items = replies.filter((p) => p.status === 200).map((p, k) => ({ request_id: p.json.request_id, label: truth(rows[k]!) }));
      if (items.length > 0) await s.request('POST', '/v1/feedback', { items });
      const r = (await s.request('GET', `/v1/models/${model}/rollout`)).json;
      if (until(r.phase)) return r;
      await sleep(50);
    }
    throw new Error('the rollout did not finish');
  }

  it('promotes an MLflow canary over an OIP stable on error rate and accuracy from feedback', async () => {
    await register('ro', { url: `${oip.url}/v2/models/churn/versions/3` });
    await register('ro', { url: mlflow.url, features: 3 });
    const started = await s.request('POST', '/v1/models/ro/rollout', spec());
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const done = await drive('ro', (p) => p === 'succeeded' || p === 'rolled_back');
    assert.equal(done.phase, 'succeeded', JSON.stringify(done));
    assert.equal((await s.request('GET', '/v1/models/ro')).json.stable_version, 2);
  });

  it('rolls back by itself when the upstream canary fails', async () => {
    await register('rb', { url: `${oip.url}/v2/models/churn/versions/3` });
    await register('rb', { url: `${tf.url}/v1/models/churn`, features: 3, task: 'classifier' });
    assert.equal((await s.request('POST', '/v1/models/rb/rollout', spec())).status, 201);
    tf.knobs.failWith = 500;
    try {
      const done = await drive('rb', (p) => p !== 'progressing');
      assert.equal(done.phase, 'rolled_back', JSON.stringify(done));
      assert.match(String(done.reason), /critical metric failed \(error_rate/);
    } finally {
      tf.knobs.failWith = null;
    }
  });

  it('holds while the canary is not ready, then rolls back when it stays unready', async () => {
    await register('nr', { url: `${oip.url}/v2/models/churn/versions/3` });
    await register('nr', { url: mlflow.url, features: 3 });
    assert.equal((await s.request('POST', '/v1/models/nr/rollout', spec({ failureLimit: 1 }))).status, 201);
    mlflow.knobs.ready = false;
    try {
      await s.app.pool.checkReadiness();
      const done = await drive('nr', (p) => p !== 'progressing');
      assert.equal(done.phase, 'rolled_back', JSON.stringify(done));
      const history = (await s.request('GET', '/v1/models/nr/rollout/history')).json.decisions as { action: string; reason: string }[];
      const hold = history.find((d) => d.action === 'hold');
      assert.ok(hold, JSON.stringify(history));
      assert.match(hold.reason, /not judged: canary v2 is not ready: GET .*\/ping answered 503 \(1 of 1 tolerated\)/);
      assert.match(history.at(-1)!.reason, /not ready at 2 analyses in a row/);
      const start = await s.request('POST', '/v1/models/nr/rollout/retry');
      assert.equal(start.status, 200, 'retry is a command on the rollout; the next analysis finds it still unready');
    } finally {
      mlflow.knobs.ready = true;
      await s.app.pool.checkReadiness();
    }
  });

  it('refuses to start a rollout on a model server that is not ready', async () => {
    await register('ns', { url: `${oip.url}/v2/models/churn/versions/3` });
    await register('ns', { url: `${tf.url}/v1/models/churn`, features: 3, task: 'classifier' });
    tf.knobs.ready = false;
    try {
      const r = await s.request('POST', '/v1/models/ns/rollout', spec());
      assert.equal(r.status, 424, JSON.stringify(r.json));
      assert.match(r.json.error.message, /lists no AVAILABLE version \(states: 1 LOADING\)/);
      assert.equal((await s.request('GET', '/v1/models/ns/rollout')).status, 404, 'no rollout was created');
    } finally {
      tf.knobs.ready = true;
    }
  });
});
