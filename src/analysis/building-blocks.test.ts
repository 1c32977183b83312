import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SeededRandom } from '../examples/index.js';
import {
  addValue,
  EMPTY_MOMENTS,
  emptyReservoir,
  histogramOf,
  ksTestBinned,
  LatencySketch,
  mergeMoments,
  mergeReservoirs,
  momentsOf,
  offer,
  populationStabilityIndex,
  quantile,
  sum,
  sumSquares,
  variance,
} from './index.js';

const close = (a: number, b: number, rel = 1e-9) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe('moments', () => {
  it('merge of two parts equals the moments of the whole, in any split', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 200 }), fc.nat(), (xs, k) => {
        const cut = k % xs.length;
        const merged = mergeMoments(momentsOf(xs.slice(0, cut)), momentsOf(xs.slice(cut)));
        const whole = momentsOf(xs);
        assert.equal(merged.n, whole.n);
        close(merged.mean, whole.mean, 1e-9);
        close(variance(merged), variance(whole), 1e-6);
      }),
      { numRuns: 500 },
    );
  });

  it('Welford updates agree with the two-pass summary, and sum/sumSquares are derivable', () => {
    const xs = [3, 1, 4, 1, 5, 9, 2, 6];
    const online = xs.reduce(addValue, EMPTY_MOMENTS);
    close(online.mean, momentsOf(xs).mean);
    close(variance(online), variance(momentsOf(xs)));
    assert.equal(sum(online), 31);
    close(sumSquares(online), xs.reduce((s, x) => s + x * x, 0));
    assert.ok(Number.isNaN(variance(momentsOf([1]))), 'variance of one value is undefined, not a throw');
  });

  it('keeps precision far from zero, where sum-of-squares arithmetic would not', () => {
    const xs = [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16];
    close(variance(xs.reduce(addValue, EMPTY_MOMENTS)), 30, 1e-12);
  });
});

describe('latency sketch', () => {
  const rng = new SeededRandom(3);
  const values = Array.from({ length: 20_000 }, () => Math.exp(3 + 0.5 * rng.normal()));

  it('answers p50/p95/p99 within 1% of the exact quantile', () => {
    const sketch = LatencySketch.of(values);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = quantile(values, q, 'higher');
      const got = sketch.quantile(q);
      assert.ok(Math.abs(got - exact) / exact <= 0.0101, `q=${q}: ${got} vs ${exact}`);
    }
  });

  it('merging window sketches gives the sketch of the union, and survives a snapshot', () => {
    const a = LatencySketch.of(values.slice(0, 7000));
    const b = LatencySketch.of(values.slice(7000));
    const merged = a.clone().merge(b);
    const whole = LatencySketch.of(values);
    assert.equal(merged.count, 20_000);
    // Same buckets, so the same answers up to DDSketch's float reconstruction of a bucket's value.
    for (const q of [0, 0.5, 0.99, 1]) close(merged.quantile(q), whole.quantile(q), 1e-12);
    const restored = LatencySketch.fromSnapshot(JSON.parse(JSON.stringify(merged.toSnapshot())));
    for (const q of [0, 0.5, 0.99, 1]) close(restored.quantile(q), whole.quantile(q), 1e-12);
    assert.equal(a.count, 7000, 'clone-then-merge leaves the original alone');
    assert.ok(Number.isNaN(LatencySketch.create().quantile(0.5)), 'an empty sketch answers NaN');
  });
});

describe('reservoir', () => {
  it('stays bounded and keeps a uniform sample of the stream', () => {
    const rng = new SeededRandom(5);
    let r = emptyReservoir(500);
    for (let i = 0; i < 20_000; i++) r = offer(r, i, () => rng.next());
    assert.equal(r.values.length, 500);
    assert.equal(r.seen, 20_000);
    const mean = r.values.reduce((s, v) => s + v, 0) / r.values.length;
    assert.ok(Math.abs(mean - 10_000) < 800, `sample mean ${mean} should be near 10,000`);
  });

  it('merges in proportion to what each side stands for', () => {
    const rng = new SeededRandom(6);
    let big = emptyReservoir(200);
    let small = emptyReservoir(200);
    for (let i = 0; i < 9000; i++) big = offer(big, 1, () => rng.next());
    for (let i = 0; i < 1000; i++) small = offer(small, 0, () => rng.next());
    const merged = mergeReservoirs(big, small, () => rng.next());
    assert.equal(merged.values.length, 200);
    assert.equal(merged.seen, 10_000);
    const share = merged.values.filter((v) => v === 1).length / 200;
    assert.ok(share > 0.82 && share < 0.97, `share from the 90% side: ${share}`);
  });
});

describe('drift', () => {
  const rng = new SeededRandom(9);
  const scores = (n: number, shift: number) => Array.from({ length: n }, () => 1 / (1 + Math.exp(-(rng.normal() + shift))));

  it('sees no drift between two samples of the same distribution', () => {
    const a = histogramOf(scores(5000, 0));
    const b = histogramOf(scores(5000, 0));
    assert.ok(populationStabilityIndex(a, b) < 0.02);
    assert.ok(ksTestBinned(a, b).pValue > 0.01);
  });

  it('sees a shifted score distribution', () => {
    const a = histogramOf(scores(5000, 0));
    const b = histogramOf(scores(5000, 1));
    assert.ok(populationStabilityIndex(a, b) > 0.25);
    assert.ok(ksTestBinned(a, b).pValue < 1e-10);
  });

  it('computes PSI by its definition', () => {
    const a = { edges: [0, 0.5, 1], counts: [50, 50] };
    const b = { edges: [0, 0.5, 1], counts: [25, 75] };
    close(populationStabilityIndex(a, b), (0.25 - 0.5) * Math.log(0.25 / 0.5) + (0.75 - 0.5) * Math.log(0.75 / 0.5), 1e-12);
    assert.throws(() => populationStabilityIndex(a, { edges: [0, 1], counts: [1] }), /same bins/);
    assert.ok(Number.isNaN(populationStabilityIndex(a, { edges: [0, 0.5, 1], counts: [0, 0] })));
  });
});
