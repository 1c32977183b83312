import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Alternative } from './alternative.js';
import { momentsOf } from './moments.js';
import { mcnemar, mcnemarSequentialLogLambda, pairedTTest, wilsonInterval } from './paired.js';

// SciPy/statsmodels reference values, made by test/vectors/make_paired_vectors.py (kept in the repository).
const VECTORS = fileURLToPath(new URL('../../test/vectors/paired.json', import.meta.url));
if (!existsSync(VECTORS)) throw new Error(`reference vectors not found at ${VECTORS}: restore test/vectors/paired.json from git (or regenerate it: test/vectors/README.md)`);
interface Cases<T> {
  readonly cases: readonly T[];
}
const V = JSON.parse(readFileSync(VECTORS, 'utf8')) as {
  mcnemar: Cases<{ b: number; c: number; exact_two_sided: number; mid_p_two_sided: number; exact_greater: number; mid_p_greater: number }>;
  mcnemar_sequential: Cases<{ a: number; b: number; c: number; log_lambda: number }>;
  paired_t: Cases<{ x: number[]; y: number[]; alternative: Alternative; t: number; p: number; df: number; mean_diff: number }>;
  wilson: Cases<{ count: number; nobs: number; alpha: number; lower: number; upper: number }>;
};

function close(actual: number, expected: number, what: string, rel = 1e-9, abs = 1e-14): void {
  const ok = actual === expected || Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
  assert.ok(ok, `${what}: got ${actual}, expected ${expected} (diff ${Math.abs(actual - expected)})`);
}

describe('paired.json: McNemar exact and mid-p (statsmodels, scipy.stats.binom)', () => {
  for (const c of V.mcnemar.cases) {
    it(`b=${c.b} c=${c.c}`, () => {
      const r = mcnemar(c.b, c.c);
      close(r.exactTwoSided, c.exact_two_sided, 'exact two-sided');
      close(r.midPTwoSided, c.mid_p_two_sided, 'mid-p two-sided');
      close(r.exactGreater, c.exact_greater, 'exact greater');
      close(r.midPGreater, c.mid_p_greater, 'mid-p greater');
    });
  }
});

describe('paired.json: always-valid McNemar (Beta mixture, scipy.special)', () => {
  for (const c of V.mcnemar_sequential.cases) {
    it(`a=${c.a} b=${c.b} c=${c.c}`, () => close(mcnemarSequentialLogLambda(c.b, c.c, c.a), c.log_lambda, 'log Λ', 1e-9, 1e-10));
  }
});

describe('paired.json: paired t-test (scipy.stats.ttest_rel)', () => {
  for (const c of V.paired_t.cases) {
    it(`n=${c.x.length} ${c.alternative}`, () => {
      const r = pairedTTest(momentsOf(c.y.map((y, i) => y - c.x[i]!)), c.alternative);
      close(r.t, c.t, 't', 1e-8);
      close(r.pValue, c.p, 'p', 1e-7, 1e-14);
      assert.equal(r.df, c.df);
      close(r.meanDiff, c.mean_diff, 'mean difference', 1e-9, 1e-12);
    });
  }
});

describe('paired.json: Wilson interval (statsmodels proportion_confint)', () => {
  for (const c of V.wilson.cases) {
    it(`${c.count}/${c.nobs} at alpha ${c.alpha}`, () => {
      const r = wilsonInterval(c.count, c.nobs, c.alpha);
      close(r.lower, c.lower, 'lower', 1e-9, 1e-13);
      close(r.upper, c.upper, 'upper', 1e-9, 1e-13);
    });
  }
});
