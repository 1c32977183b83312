import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SHADOW_POLICY } from '../domain/index.js';
import { momentsOf } from './moments.js';
import { judgeShadow, type ShadowMeasurement } from './shadow-verdict.js';

const good: ShadowMeasurement = {
  task: 'binary_classifier',
  answered: 500,
  errors: 0,
  classified: 500,
  agreed: 490,
  latencyDiff: momentsOf(Array.from({ length: 500 }, (_, i) => (i % 5) - 2)),
  primaryLatency: momentsOf(Array.from({ length: 500 }, () => 10)),
  outcomes: { both: 170, stableOnly: 5, shadowOnly: 6, neither: 19 },
  absErrorDiff: momentsOf([]),
};
const check = (m: ShadowMeasurement, name: string) => judgeShadow(m, DEFAULT_SHADOW_POLICY).checks.find((c) => c.check === name)!;

describe('the shadow verdict', () => {
  it('passes a shadow that agrees, answers, keeps pace and is as accurate on the same labelled requests', () => {
    const v = judgeShadow(good, DEFAULT_SHADOW_POLICY);
    assert.equal(v.status, 'pass', v.reason);
    assert.deepEqual(v.checks.map((c) => [c.check, c.status]), [['errors', 'pass'], ['agreement', 'pass'], ['latency', 'pass'], ['accuracy', 'pass']]);
  });

  it('fails on agreement only when even the interval\'s upper bound is below the floor', () => {
    const low = check({ ...good, agreed: 430 }, 'agreement');
    assert.equal(low.status, 'fail', low.reason);
    assert.ok(low.evidence.interval!.upper < 0.9, `low.evidence.interval!.upper < 0.9`);
    const near = check({ ...good, classified: 50, agreed: 43 }, 'agreement');
    assert.equal(near.status, 'inconclusive', '86% of 50 rows could still be 90%');
    assert.equal(near.evidence.needed, 150);
  });

  it('fails on errors with evidence, not on one failure in a small sample', () => {
    assert.equal(check({ ...good, answered: 99, errors: 1 }, 'errors').status, 'inconclusive');
    const many = check({ ...good, answered: 450, errors: 50 }, 'errors');
    assert.equal(many.status, 'fail');
    assert.match(many.reason, /failed 50 of 500 calls \(10\.0%/);
  });

  it('fails latency when the paired interval lies above the margin (50% of the primary\'s mean plus 5 ms)', () => {
    const slow = check({ ...good, latencyDiff: momentsOf(Array.from({ length: 300 }, (_, i) => 20 + (i % 3))) }, 'latency');
    assert.equal(slow.status, 'fail', slow.reason);
    assert.equal(slow.evidence.threshold, 10);
    assert.ok(slow.evidence.interval!.lower > 10, `slow.evidence.interval!.lower > 10`);
    assert.ok(slow.evidence.pValue! < 1e-6, `slow.evidence.pValue! < 1e-6`);
    const fine = check({ ...good, latencyDiff: momentsOf(Array.from({ length: 300 }, (_, i) => 8 + (i % 3) * 0.1)) }, 'latency');
    assert.equal(fine.status, 'pass', fine.reason);
  });

  it('fails accuracy on the discordant pairs once ln Λ reaches ln(1/α), however few labels that takes', () => {
    // 14 discordant pairs, all against the shadow: Λ = [B(15, 1)/B(1, 1)] · [(1 − ½^15)/½] / ½^14, ln Λ ≈ 7.69 ≥ ln 20 ≈ 3.00.
    const bad = check({ ...good, outcomes: { both: 30, stableOnly: 14, shadowOnly: 0, neither: 6 } }, 'accuracy');
    assert.equal(bad.status, 'fail', bad.reason);
    assert.deepEqual(bad.evidence.discordant, { b: 14, c: 0 });
    assert.ok(Math.abs(bad.evidence.logLikelihoodRatio! - Math.log((2 ** 14 * 2 * (1 - 2 ** -15)) / 15)) < 1e-9, `Math.abs(bad.evidence.logLikelihoodRatio! - Math.log((2 ** 14 * 2 * (1 - 2 ** -15)) / 15)) < 1e-9`);
    assert.ok(Math.abs(bad.evidence.exactPValue! - 2 ** -14) < 1e-12, 'P(X ≥ 14) for X ~ Bin(14, ½)');
    assert.equal(bad.evidence.primary, 0.88);
    assert.equal(bad.evidence.shadow, 0.6);
    const balanced = check({ ...good, outcomes: { both: 30, stableOnly: 7, shadowOnly: 7, neither: 6 } }, 'accuracy');
    assert.equal(balanced.status, 'inconclusive', 'as many wins as losses, and under 100 labels');
  });

  it('judges a regressor by its paired absolute errors, without an agreement check', () => {
    const v = judgeShadow({ ...good, task: 'regressor', classified: 0, agreed: 0, outcomes: { both: 0, stableOnly: 0, shadowOnly: 0, neither: 0 }, absErrorDiff: momentsOf(Array.from({ length: 150 }, (_, i) => 0.5 + (i % 7) * 0.01)) }, DEFAULT_SHADOW_POLICY);
    assert.deepEqual(v.checks.map((c) => c.check), ['errors', 'latency', 'accuracy']);
    assert.equal(v.status, 'fail');
    assert.match(v.reason, /absolute error is 0\.5\d+ larger/);
  });

  it('passes without labels on the other checks, and says accuracy is not judged yet; waits before enough data', () => {
    const unlabelled = judgeShadow({ ...good, outcomes: { both: 0, stableOnly: 0, shadowOnly: 0, neither: 0 } }, DEFAULT_SHADOW_POLICY);
    assert.equal(unlabelled.status, 'pass');
    assert.match(unlabelled.reason, /accuracy is not judged yet: no labels/);
    const early = judgeShadow({ ...good, answered: 20, classified: 20, agreed: 20, latencyDiff: momentsOf([1, 2, 1, 2]) }, DEFAULT_SHADOW_POLICY);
    assert.equal(early.status, 'inconclusive');
    assert.match(early.reason, /20 of 200/);
  });
});
