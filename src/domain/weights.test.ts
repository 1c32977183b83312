import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fractionsToCanaryBasisPoints, parseVariant, percentToBasisPoints } from './index.js';

describe('weights', () => {
  it('keeps percentages exactly as basis points', () => {
    assert.equal(percentToBasisPoints(0), 0);
    assert.equal(percentToBasisPoints(0.5), 50);
    assert.equal(percentToBasisPoints(12.25), 1225);
    assert.equal(percentToBasisPoints(0.07), 7);
    assert.equal(percentToBasisPoints(100), 10_000);
  });

  it('refuses weights outside [0, 100], finer than 0.01% or not numbers', () => {
    for (const bad of [-0.01, 100.01, 12.345, Number.NaN, Number.POSITIVE_INFINITY, '20', null]) {
      assert.throws(() => percentToBasisPoints(bad), (e: Error & { code?: string }) => e.code === 'invalid_weight', String(bad));
    }
  });

  it('accepts fractions that sum to 1 and refuses the rest (seed 004)', () => {
    assert.equal(fractionsToCanaryBasisPoints({ stable: 0.9, canary: 0.1 }), 1000);
    assert.equal(fractionsToCanaryBasisPoints({ production: 0.7, canary: 0.3 }), 3000);
    assert.throws(() => fractionsToCanaryBasisPoints({ stable: 1, canary: 9 }), /between 0 and 1/);
    assert.throws(() => fractionsToCanaryBasisPoints({ stable: 0.9, canary: 0.2 }), /sum to 1/);
    assert.throws(() => fractionsToCanaryBasisPoints({ canary: 1 }), /both stable and canary/);
    assert.throws(() => fractionsToCanaryBasisPoints({ new_model: 0.1, old_model: 0.9 }), /unknown variant/);
  });

  it('reads production as stable', () => {
    assert.equal(parseVariant('production'), 'stable');
    assert.equal(parseVariant(' Canary '), 'canary');
    assert.throws(() => parseVariant('green'), /unknown variant/);
  });
});
