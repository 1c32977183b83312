import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import * as fx from '../test-support/onnx-fixtures.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

let s: TestServer;
before(async () => {
  s = await startTestServer({ examples: false });
  assert.equal((await s.request('POST', '/v1/models/churn3/versions', fx.churnPipeline())).status, 201);
  assert.equal((await s.request('POST', '/v1/models/mixed/versions', fx.mixedTypesRegressor())).status, 201);
});
after(() => s.close());

const predict = (name: string, body: unknown) => s.request('POST', `/v1/models/${name}/predict`, body);

/** What onnxruntime itself answers for the pipeline's rows: the reference the served probabilities must equal. */
async function onnxruntimeProbabilities(rows: { tenure: number; monthly: number; plan: string }[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(fx.churnPipeline());
  try {
    const n = rows.length;
    const out = await session.run({
      tenure: new ort.Tensor('float32', Float32Array.from(rows.map((r) => r.tenure)), [n, 1]),
      monthly: new ort.Tensor('float32', Float32Array.from(rows.map((r) => r.monthly)), [n, 1]),
      plan: new ort.Tensor('string', rows.map((r) => r.plan), [n, 1]),
    });
    const probs = out.output_probability!.data as Float32Array;
    return rows.map((_, i) => probs[i * 2 + 1]!);
  } finally {
    await session.release();
  }
}

describe('named, mixed-type inputs', () => {
  it('reads the three inputs of an sklearn pipeline, one of them a string', async () => {
    const r = await s.request('GET', '/v1/models/churn3/versions/1');
    assert.deepEqual(r.json.signature.inputs, [
      { name: 'tenure', type: 'float32', shape: [-1, 1] },
      { name: 'monthly', type: 'float32', shape: [-1, 1] },
      { name: 'plan', type: 'string', shape: [-1, 1] },
    ]);
    assert.equal(r.json.signature.task, 'binary_classifier');
  });

  it('serves named features, alone and in a batch, with the probabilities onnxruntime gives', async () => {
    const rows = [
      { tenure: 12, monthly: 70.5, plan: 'pro' },
      { tenure: 1, monthly: 99, plan: 'basic' },
      { tenure: 40, monthly: 20, plan: 'team' },
      { tenure: 5, monthly: 50, plan: 'enterprise' }, // a category the encoder never saw: all zeros
    ];
    const expected = await onnxruntimeProbabilities(rows);
    const one = await predict('churn3', { features: rows[0] });
    assert.equal(one.status, 200, JSON.stringify(one.json));
    assert.ok(Math.abs(one.json.probability - expected[0]!) < 1e-7, `${one.json.probability} vs onnxruntime ${expected[0]}`);
    assert.ok(Math.abs(one.json.probability - fx.churnPipelineProbability(12, 70.5, 'pro')) < 1e-5);
    const batch = await predict('churn3', { features: rows });
    assert.equal(batch.status, 200, JSON.stringify(batch.json));
    assert.equal(batch.json.predictions.length, 4);
    batch.json.predictions.forEach((p: { probability: number; prediction: number }, i: number) => {
      assert.ok(Math.abs(p.probability - expected[i]!) < 1e-7, `row ${i}: ${p.probability} vs onnxruntime ${expected[i]}`);
      assert.equal(p.prediction, expected[i]! >= 0.5 ? 1 : 0);
    });
    // A width-1 input may come as a one-item array too.
    const arrays = await predict('churn3', { features: { tenure: [12], monthly: [70.5], plan: ['pro'] } });
    assert.equal(arrays.json.probability, one.json.probability);
  });

  it('feeds int64, bool, double and int32 inputs as their own types', async () => {
    const r = await predict('mixed', { features: [{ count: 4, flag: true, weight: 0.25, level: 2 }, { count: -1, flag: false, weight: 1.5, level: 0 }] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(
      r.json.predictions.map((p: { prediction: number }) => p.prediction),
      [2 * 4 + 3 + 0.25 + 20, -2 + 0 + 1.5 + 0],
    );
  });

  const refusals: [string, string, unknown, RegExp][] = [
    ['a missing input', 'churn3', { tenure: 1, monthly: 2 }, /missing input "plan" \(plan: string\[N, 1\]\)/],
    ['an unknown input', 'churn3', { tenure: 1, monthly: 2, plan: 'pro', region: 'eu' }, /names input "region", which model "churn3" does not have/],
    ['a number for a string input', 'churn3', { tenure: 1, monthly: 2, plan: 3 }, /input "plan": 3 is not a string; model "churn3" takes string there/],
    ['a string for a float input', 'churn3', { tenure: '1', monthly: 2, plan: 'pro' }, /input "tenure": "1" is not a finite number/],
    ['two values for a width-1 input', 'churn3', { tenure: [1, 2], monthly: 2, plan: 'pro' }, /input "tenure" has 2 values; model "churn3" expects 1/],
    ['an array row for a model with three inputs', 'churn3', [1, 2, 'pro'], /is an array, but model "churn3" has 3 inputs; send an object keyed by input name/],
    ['a fraction for an int64 input', 'mixed', { count: 1.5, flag: true, weight: 1, level: 1 }, /input "count": 1.5 is not an integer/],
    ['a string for a bool input', 'mixed', { count: 1, flag: 'true', weight: 1, level: 1 }, /input "flag": "true" is not true or false/],
    ['an int32 out of range', 'mixed', { count: 1, flag: true, weight: 1, level: 2 ** 31 }, /input "level": 2147483648 is out of int32 range/],
    ['an int64 past 2^53', 'mixed', { count: 2 ** 60, flag: true, weight: 1, level: 1 }, /beyond ±2\^53/],
  ];
  for (const [what, model, features, message] of refusals) {
    it(`refuses ${what} with a 400 that names the input`, async () => {
      const before = await s.request('GET', `/v1/models/${model}/metrics`);
      const r = await predict(model, { features });
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error.code, 'invalid_features');
      assert.match(r.json.error.message, message);
      const afterwards = await s.request('GET', `/v1/models/${model}/metrics`);
      assert.equal(typeof before.json.variants.stable.requests, 'number');
      assert.equal(afterwards.json.variants.stable.requests, before.json.variants.stable.requests, 'a refused request is no statistic');
    });
  }

  it('refuses a batch that mixes objects and arrays', async () => {
    const r = await predict('churn3', { features: [{ tenure: 1, monthly: 2, plan: 'pro' }, [1, 2, 'pro']] });
    assert.equal(r.status, 400);
    assert.match(r.json.error.message, /item 1 is not an object like item 0/);
  });
});
