import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMetrics, parseVersion } from './parse-params.js';

describe('parseVersion', () => {
  it('accepts the forms users type', () => {
    assert.equal(parseVersion(3), 3);
    assert.equal(parseVersion('3'), 3);
    assert.equal(parseVersion('v3'), 3);
    assert.equal(parseVersion('churn@3', 'churn'), 3);
    assert.equal(parseVersion('models:/churn/3', 'churn'), 3);
  });

  it('refuses other models, zero and garbage', () => {
    assert.throws(() => parseVersion('fraud@3', 'churn'), /not a version of "churn"/);
    assert.throws(() => parseVersion('0'), /numbered from 1/);
    assert.throws(() => parseVersion('three'));
    assert.throws(() => parseVersion('../3'));
  });
});

describe('parseMetrics', () => {
  it('reads name=number pairs', () => {
    assert.deepEqual(parseMetrics('accuracy=0.91, auc=0.95'), { accuracy: 0.91, auc: 0.95 });
    assert.deepEqual(parseMetrics(undefined), {});
  });

  it('refuses anything else', () => {
    for (const bad of ['accuracy', 'accuracy=', 'accuracy=high', 'a=1=2', '=1', 'x=Infinity']) assert.throws(() => parseMetrics(bad), bad);
  });
});
