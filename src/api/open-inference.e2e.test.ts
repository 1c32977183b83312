import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import * as fx from '../test-support/onnx-fixtures.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
  assert.equal((await s.request('POST', '/v1/models/churn3/versions', fx.churnPipeline())).status, 201);
  assert.equal((await s.request('POST', '/v1/models/iris/versions', fx.softmaxClassifier())).status, 201);
});
after(() => s.close());

const infer = (path: string, body: unknown, headers: Record<string, string> = {}) => s.request('POST', path, body, headers);
const rows = churnRows(4, 7).map((r) => r.features);

describe('coalmine speaks the Open Inference Protocol', () => {
  it('answers server and model health and metadata', async () => {
    const server = await s.request('GET', '/v2');
    assert.equal(server.status, 200);
    assert.equal(server.json.name, 'coalmine');
    assert.equal(typeof server.json.version, 'string');
    assert.deepEqual((await s.request('GET', '/v2/health/live')).json, { live: true });
    assert.deepEqual((await s.request('GET', '/v2/health/ready')).json, { ready: true });
    const meta = await s.request('GET', '/v2/models/churn');
    assert.equal(meta.status, 200);
    assert.deepEqual(meta.json.versions, ['1', '2'], 'stable and canary');
    assert.equal(meta.json.platform, 'onnxruntime_onnx');
    assert.deepEqual(meta.json.inputs, [{ name: 'input', datatype: 'FP32', shape: [-1, 5] }]);
    assert.deepEqual(meta.json.outputs.map((o: { name: string }) => o.name), ['label', 'probabilities']);
    const three = await s.request('GET', '/v2/models/churn3/versions/1');
    assert.deepEqual(three.json.inputs, [
      { name: 'tenure', datatype: 'FP32', shape: [-1, 1] },
      { name: 'monthly', datatype: 'FP32', shape: [-1, 1] },
      { name: 'plan', datatype: 'BYTES', shape: [-1, 1] },
    ]);
    assert.deepEqual(three.json.outputs, [
      { name: 'output_label', datatype: 'INT64', shape: [-1] },
      { name: 'output_probability', datatype: 'FP32', shape: [-1, 2] },
    ]);
    assert.deepEqual((await s.request('GET', '/v2/models/churn/ready')).json, { ready: true });
    assert.deepEqual((await s.request('GET', '/v2/models/churn/versions/2/ready')).json, { ready: true });
  });

  it('infers with a split like /v1 predict, echoes the id, and answers in V2 datatypes', async () => {
    const body = { id: 'req-1', inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 5], data: rows.flat() }] };
    const r = await infer('/v2/models/churn/infer', body, { 'x-coalmine-key': 'user-7' });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.model_name, 'churn');
    assert.equal(r.json.id, 'req-1');
    assert.ok(['1', '2'].includes(r.json.model_version));
    assert.equal(r.json.parameters.coalmine_variant, r.json.model_version === '1' ? 'stable' : 'canary');
    const [label, probs] = r.json.outputs;
    assert.deepEqual([label.name, label.datatype, label.shape], ['label', 'INT64', [4]]);
    assert.deepEqual([probs.name, probs.datatype, probs.shape], ['probabilities', 'FP32', [4, 2]]);
    const v1 = await s.request('POST', '/v1/models/churn/predict', { features: rows, key: 'user-7' });
    assert.equal(String(v1.json.version), r.json.model_version, 'the sticky key routes both protocols alike');
    v1.json.predictions.forEach((p: { prediction: number; probability: number }, i: number) => {
      assert.equal(label.data[i], p.prediction);
      assert.ok(Math.abs(probs.data[i * 2 + 1] - p.probability) < 1e-12);
      assert.ok(Math.abs(probs.data[i * 2] + probs.data[i * 2 + 1] - 1) < 1e-6);
    });
    const sticky = await infer('/v2/models/churn/infer', { ...body, parameters: { key: 'user-7' } });
    assert.equal(sticky.json.model_version, r.json.model_version, 'parameters.key is the same sticky key');
    const nested = await infer('/v2/models/churn/infer', { inputs: [{ name: 'input', datatype: 'FP64', shape: [4, 5], data: rows }], outputs: [{ name: 'probabilities' }] }, { 'x-coalmine-key': 'user-7' });
    assert.equal(nested.status, 200, 'nested data and FP64 for a float input are accepted');
    assert.deepEqual(nested.json.outputs.map((o: { name: string }) => o.name), ['probabilities']);
    assert.deepEqual(nested.json.outputs[0].data, probs.data);
  });

  it('serves named, mixed-type inputs, BYTES included', async () => {
    const r = await infer('/v2/models/churn3/infer', {
      inputs: [
        { name: 'tenure', datatype: 'FP32', shape: [2, 1], data: [12, 1] },
        { name: 'monthly', datatype: 'FP32', shape: [2, 1], data: [70.5, 99] },
        { name: 'plan', datatype: 'BYTES', shape: [2, 1], data: ['pro', 'basic'] },
      ],
    });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const probs = r.json.outputs.find((o: { name: string }) => o.name === 'output_probability');
    assert.ok(Math.abs(probs.data[1] - fx.churnPipelineProbability(12, 70.5, 'pro')) < 1e-5);
    assert.ok(Math.abs(probs.data[3] - fx.churnPipelineProbability(1, 99, 'basic')) < 1e-5);
    const iris = await infer('/v2/models/iris/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [0, 3, 0] }] });
    assert.deepEqual(iris.json.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape]), [
      ['label', [1]],
      ['probs', [1, 3]],
    ]);
    assert.equal(iris.json.outputs[0].data[0], 1);
  });

  it('addresses one version, forced and left out of the analysis', async () => {
    const before = (await s.request('GET', '/v1/models/churn/metrics')).json.variants.canary;
    const r = await infer('/v2/models/churn/versions/2/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: rows[0] }] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.model_version, '2');
    assert.equal(r.json.parameters.coalmine_variant, 'canary');
    await s.app.flush();
    const afterwards = (await s.request('GET', '/v1/models/churn/metrics')).json.variants.canary;
    assert.equal(afterwards.requests, before.requests, 'not in the analysis');
    assert.equal(afterwards.forced_requests, before.forced_requests + 1);
    const stable = await infer('/v2/models/churn/versions/1/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: rows[0] }] });
    assert.equal(stable.json.parameters.coalmine_variant, 'stable');
  });

  const errors: [string, string, unknown, number, RegExp][] = [
    ['an unknown model', '/v2/models/nope/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] }, 404, /model "nope" not found/],
    ['an unknown input', '/v2/models/churn/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 5], data: [1, 2, 3, 4, 5] }] }, 400, /has no input "x"; its inputs are input \(FP32\)/],
    ['a wrong datatype', '/v2/models/churn/infer', { inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 5], data: ['a', 'b', 'c', 'd', 'e'] }] }, 400, /datatype BYTES; model "churn" takes FP32/],
    ['data that does not fit the shape', '/v2/models/churn/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 5], data: [1, 2, 3] }] }, 400, /3 values for shape \[2, 5\] \(10 expected\)/],
    ['a missing input', '/v2/models/churn3/infer', { inputs: [{ name: 'tenure', datatype: 'FP32', shape: [1, 1], data: [1] }] }, 400, /missing inputs "monthly" \(FP32\), "plan" \(BYTES\)/],
    ['a wrong width', '/v2/models/churn/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }, 400, /expects 5 features per row/],
    ['an unknown output', '/v2/models/churn/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: rows[0] }], outputs: [{ name: 'logits' }] }, 400, /output "logits" is not one this model answers; its outputs are label, probabilities/],
    ['a version that is not serving', '/v2/models/iris/versions/7/infer', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }, 404, /has no version 7/],
    ['an unknown field', '/v2/models/churn/infer', { inputs: [], extra: 1 }, 400, /unknown field "extra"/],
    ['no inputs', '/v2/models/churn/infer', { inputs: [] }, 400, /inputs must NOT have fewer than 1 items|inputs/],
    ['malformed JSON', '/v2/models/churn/infer', '{"inputs": [', 400, /not valid JSON/],
    ['data nested 100,000 deep', '/v2/models/churn/infer', `{"inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 5], "data": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}]}`, 400, /nested deeper than its shape of 2 dimensions/],
  ];
  for (const [what, path, body, status, message] of errors) {
    it(`answers ${what} with the protocol's {"error": "…"} and ${status}`, async () => {
      const r = await infer(path, body);
      assert.equal(r.status, status, JSON.stringify(r.json));
      assert.equal(typeof r.json.error, 'string', JSON.stringify(r.json));
      assert.deepEqual(Object.keys(r.json), ['error']);
      assert.match(r.json.error, message);
    });
  }

  it('answers an unknown /v2 route in the protocol\'s error shape', async () => {
    const r = await s.request('GET', '/v2/repository/index');
    assert.equal(r.status, 404);
    assert.match(r.json.error, /no Open Inference Protocol route GET \/v2\/repository\/index/);
  });
});
