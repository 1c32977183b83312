import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as fx from '../test-support/onnx-fixtures.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ examples: false });
});
after(() => s.close());

const upload = (name: string, bytes: Uint8Array, query = '') => s.request('POST', `/v1/models/${name}/versions${query}`, bytes);
const predict = (name: string, features: unknown) => s.request('POST', `/v1/models/${name}/predict`, { features });

describe('registering ONNX files from other exporters', () => {
  it('serves a scikit-learn export with ZipMap by exposing its probability tensor', async () => {
    const r = await upload('skl', fx.sklearnZipMapClassifier(3), '?description=sklearn%20LR&metrics=accuracy=0.91,auc=0.95');
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.version, 1);
    assert.equal(r.json.role, 'stable');
    assert.equal(r.json.signature.task, 'binary_classifier');
    assert.deepEqual(r.json.signature.inputs, [{ name: 'float_input', type: 'float32', shape: [-1, 3] }]);
    assert.deepEqual(r.json.signature.outputs, { probabilities: 'probability_tensor', label: 'output_label' });
    assert.match(r.json.signature.rewrites[0], /removed ZipMap/);
    assert.deepEqual(r.json.metrics, { accuracy: 0.91, auc: 0.95 });
    assert.equal(r.json.description, 'sklearn LR');
    const p = await predict('skl', [1, 0.5, 0.5]);
    assert.equal(p.status, 200);
    assert.equal(p.json.prediction, 1);
    assert.ok(Math.abs(p.json.probability - 1 / (1 + Math.exp(-2))) < 1e-6, `probability ${p.json.probability}`);
    const n = await predict('skl', [-1, -0.5, -0.5]);
    assert.equal(n.json.prediction, 0);
  });

  it('serves a multiclass softmax classifier with per-class probabilities', async () => {
    const r = await upload('softmax', fx.softmaxClassifier());
    assert.equal(r.status, 201, JSON.stringify(r.json));
    assert.equal(r.json.signature.task, 'multiclass_classifier');
    assert.equal(r.json.signature.classes, 3);
    const p = await predict('softmax', [[0, 5, 0], [9, 0, 0]]);
    assert.equal(p.status, 200);
    assert.deepEqual(p.json.predictions.map((x: { prediction: number }) => x.prediction), [1, 0]);
    const probs = p.json.predictions[0].probabilities as number[];
    assert.equal(probs.length, 3);
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  });

  it('serves regressors from a plain graph and from ai.onnx.ml LinearRegressor', async () => {
    const a = await upload('reg', fx.linearRegressor());
    assert.equal(a.status, 201, JSON.stringify(a.json));
    assert.equal(a.json.signature.task, 'regressor');
    const p = await predict('reg', [[1, 1], [0, 2]]);
    assert.deepEqual(p.json.predictions.map((x: { prediction: number }) => x.prediction), [6, 7]);
    assert.equal(p.json.predictions[0].probability, undefined);
    const b = await upload('skreg', fx.sklearnLinearRegressor());
    assert.equal(b.status, 201, JSON.stringify(b.json));
    assert.equal(b.json.signature.task, 'regressor');
    const q = await predict('skreg', [3, 1]);
    assert.equal(q.json.prediction, 2.5);
  });

  it('numbers versions and keeps the first one stable', async () => {
    // Other bytes than v1's: the same file twice is refused (tested below).
    const r = await upload('reg', fx.paddedRegressor(4), '?description=second');
    assert.equal(r.json.version, 2);
    assert.equal(r.json.role, null);
    const model = await s.request('GET', '/v1/models/reg');
    assert.equal(model.json.stable_version, 1);
    assert.deepEqual(model.json.versions.map((v: { version: number }) => v.version), [1, 2]);
    const one = await s.request('GET', '/v1/models/reg/versions/2');
    assert.equal(one.json.description, 'second');
    const same = await upload('reg', fx.linearRegressor());
    assert.equal(same.status, 409, 'the bytes of v1 again');
    assert.match(same.json.error.message, /already version 1 of "reg"/);
  });

  const refusals: [string, () => Uint8Array, RegExp][] = [
    ['random bytes', () => new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x01, 0x02]), /not an ONNX model/],
    ['a text file', () => new TextEncoder().encode('hello, this is not a model'), /not an ONNX model/],
    ['an image input of rank 4', fx.imageInputGraph, /input pixels: float\[N, 3, 8, 8\] is not one coalmine can feed.*\[N\] or \[N, k\]/],
    ['a float16 input', fx.float16InputGraph, /input x: float16\[N, 2\] is not one coalmine can feed/],
    ['an unknown operator', fx.unknownOperatorGraph, /onnxruntime cannot load this graph/],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what} with a message that says what was found`, async () => {
      const before = await s.request('GET', '/v1/models');
      const r = await upload('bad', make());
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error.code, 'invalid_model');
      assert.match(r.json.error.message, message);
      const afterwards = await s.request('GET', '/v1/models');
      assert.deepEqual(afterwards.json, before.json, 'a refused upload must not create anything');
    });
  }

  it('refuses an empty body, a bad model name and malformed metrics', async () => {
    const empty = await upload('x', new Uint8Array(0));
    assert.equal(empty.status, 400);
    assert.equal(empty.json.error.code, 'invalid_model');
    const name = await upload('bad$name', fx.linearRegressor());
    assert.equal(name.status, 400);
    assert.equal(name.json.error.code, 'invalid_name');
    const metrics = await upload('x', fx.linearRegressor(), '?metrics=accuracy');
    assert.equal(metrics.status, 400);
    assert.match(metrics.json.error.message, /name=number/);
    const gone = await s.request('GET', '/v1/models/x');
    assert.equal(gone.status, 404);
  });

  it('refuses a graph whose output is NaN on a probe row', async () => {
    const r = await upload('nan', fx.nanRegressor());
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /fails on a probe row/);
  });
});
