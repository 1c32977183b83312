import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelSignature } from '../../domain/index.js';
import { ModelOutputError } from '../model-runtime.js';
import { decodeList, rolesFromSample } from './list-predictions.js';

const URL = 'http://mlflow:5000/invocations';
const signature = (sample: unknown, task?: 'classifier' | 'regressor'): ModelSignature => ({
  ...rolesFromSample(sample, task, URL),
  inputs: [{ name: 'input', type: 'float64', rank: 2, width: 3 }],
  opsets: {},
  producer: 'test',
  rewrites: [],
});

describe('MLflow and TF Serving predictions lists', () => {
  it('reads a bare number as a regressor value unless told it is a classifier', () => {
    const reg = signature(2.5);
    assert.equal(reg.task, 'regressor');
    assert.deepEqual(decodeList(reg, 2, [2.5, -1], URL), [{ prediction: 2.5 }, { prediction: -1 }]);
    const prob = signature(0.8, 'classifier');
    assert.equal(prob.task, 'binary_classifier');
    assert.deepEqual(decodeList(prob, 1, [0.8], URL), [{ prediction: 1, probability: 0.8 }]);
    const label = signature(1, 'classifier');
    assert.equal(label.task, 'multiclass_classifier');
    assert.deepEqual(decodeList(label, 2, [1, 0], URL), [{ prediction: 1 }, { prediction: 0 }]);
  });

  it('reads per-class lists, TF Serving\'s one-item lists, string labels and records', () => {
    const multi = signature([0.2, 0.5, 0.3]);
    assert.equal(multi.task, 'multiclass_classifier');
    assert.equal(multi.classCount, 3);
    assert.deepEqual(decodeList(multi, 1, [[0.2, 0.5, 0.3]], URL), [{ prediction: 1, probabilities: [0.2, 0.5, 0.3] }]);
    const sigmoid = signature([0.9], 'classifier');
    assert.deepEqual(decodeList(sigmoid, 1, [[0.9]], URL), [{ prediction: 1, probability: 0.9 }]);
    const names = signature('setosa');
    assert.deepEqual(decodeList(names, 2, ['setosa', 'virginica'], URL), [{ prediction: 'setosa' }, { prediction: 'virginica' }]);
    const records = signature({ predicted_label: 1, probability: 0.7 });
    assert.deepEqual(records.outputs, { probabilities: 'probability', label: 'predicted_label' });
    assert.deepEqual(decodeList(records, 1, [{ predicted_label: 1, probability: 0.7 }], URL), [{ prediction: 1, probability: 0.7 }]);
    const value = signature({ price: 12.5 });
    assert.equal(value.task, 'regressor');
    assert.deepEqual(decodeList(value, 1, [{ price: 12.5 }], URL), [{ prediction: 12.5 }]);
  });

  it('refuses answers it cannot read, as the model\'s fault', () => {
    const prob = signature([0.2, 0.8]);
    assert.throws(() => decodeList(prob, 2, [[0.2, 0.8]], URL), (e: unknown) => e instanceof ModelOutputError && /1 predictions for 2 rows/.test(e.message));
    assert.throws(() => decodeList(prob, 1, [[0.2, 1.8]], URL), /1\.8, not a probability/);
    assert.throws(() => decodeList(prob, 1, { predictions: [] }, URL), /without a predictions list/);
    assert.throws(() => decodeList(signature(1.5), 1, ['x'], URL), /returned NaN/);
    assert.throws(() => rolesFromSample({ a: 'x', b: 'y' }, undefined, URL), /name no probability, label or single value/);
    assert.throws(() => rolesFromSample([0.1, 0.2, 0.7], 'regressor', URL), /3 values per row, but a regressor answers one/);
  });
});
