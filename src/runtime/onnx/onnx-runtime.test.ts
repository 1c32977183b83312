import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildChurnExamples, churnRows } from '../../examples/index.js';
import { linearRegressor, nanRegressor, sklearnZipMapClassifier, softmaxClassifier } from '../../test-support/onnx-fixtures.js';
import { inspectOnnx } from './inspect-onnx.js';
import { scoresSynchronously } from '../model-runtime.js';
import { NativeOnnxRuntime, OnnxModelRuntime } from './onnx-runtime.js';

async function both(bytes: Uint8Array): Promise<[NativeOnnxRuntime, OnnxModelRuntime]> {
  // Registration rewrites some graphs (a ZipMap output is cut off); serve what it keeps.
  const inspected = inspectOnnx(bytes);
  const native = await OnnxModelRuntime.load(inspected.bytes, inspected.signature);
  assert.ok(native instanceof NativeOnnxRuntime, 'load opens the native session by default');
  return [native, await OnnxModelRuntime.load(inspected.bytes, inspected.signature, { native: false })];
}

describe('ONNX runtime: the native session and the public API', () => {
  const rows = churnRows(200, 99).map((r) => r.features);

  it('score the example models identically, row for row, alone and batched', async () => {
    for (const example of buildChurnExamples()) {
      const [native, viaApi] = await both(example.bytes);
      assert.ok(scoresSynchronously(native), 'the native session scores synchronously');
      assert.ok(!scoresSynchronously(viaApi), 'the public API is promise-based only');
      const batched = await viaApi.predict(rows);
      assert.deepEqual(native.predictNow(rows), batched);
      assert.deepEqual(await native.predict(rows), batched);
      assert.deepEqual(native.predictNow([rows[7]!]), [batched[7]]);
      assert.ok(batched.every((p) => (p.prediction === 0 || p.prediction === 1) && p.probability! >= 0 && p.probability! <= 1));
      // The label output agrees with the probabilities (v1 has one, v2 is a sigmoid without).
      assert.ok(batched.every((p) => p.prediction === (p.probability! > 0.5 ? 1 : 0)));
      await native.close();
      await viaApi.close();
    }
  });

  it('decode foreign graphs the same way: ZipMap classifier, 3-class softmax, regressor', async () => {
    const cases: [Uint8Array, number[][]][] = [
      [sklearnZipMapClassifier(3), [[0.2, -1, 0.4], [3, 2, 1]]],
      [softmaxClassifier(), [[1, 2, 3], [3, 2, 1], [0, 0, 0]]],
      [linearRegressor(), [[1, 1], [0, -2]]],
    ];
    for (const [bytes, input] of cases) {
      const [native, viaApi] = await both(bytes);
      assert.deepEqual(native.predictNow(input), await viaApi.predict(input));
      await native.close();
      await viaApi.close();
    }
    const [softmax] = await both(softmaxClassifier());
    const [p] = softmax.predictNow([[1, 2, 3]]);
    assert.equal(p!.prediction, 2);
    assert.equal(p!.probabilities!.length, 3);
    assert.ok(Math.abs(p!.probabilities!.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    const [regressor] = await both(linearRegressor());
    assert.deepEqual(regressor.predictNow([[1, 1]]), [{ prediction: 6 }]);
  });

  it('refuse output that is not a number on both paths, saying which output', async () => {
    const [native, viaApi] = await both(nanRegressor());
    assert.throws(() => native.predictNow([[1]]), /output y returned NaN/);
    await assert.rejects(viaApi.predict([[1]]), /output y returned NaN/);
  });

  it('refuse a graph onnxruntime cannot load, natively too', async () => {
    const bytes = softmaxClassifier().slice(0, 40);
    const signature = inspectOnnx(softmaxClassifier()).signature;
    await assert.rejects(OnnxModelRuntime.load(bytes, signature));
    await assert.rejects(OnnxModelRuntime.load(bytes, signature, { native: false }));
  });
});
