import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  mannWhitneyU,
  momentsOf,
  msprtLogLambdaPaired,
  nextAlwaysValidP,
  normalCdf,
  normalPpf,
  normalSf,
  quantile,
  sampleRatioMismatch,
  sampleSizePerGroup,
  tCdf,
  tPpf,
  tSf,
  tTestPower,
  twoProportionZTest,
  welchTTest,
  welchTTestSamples,
  type Alternative,
} from './index.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the vectors file is external JSON, read case by case */
// The SciPy/statsmodels reference values live in the repository (test/vectors/, with the script that made them).
const VECTORS = fileURLToPath(new URL('../../test/vectors/stats.json', import.meta.url));
if (!existsSync(VECTORS)) throw new Error(`reference vectors not found at ${VECTORS}: restore test/vectors/stats.json from git (or regenerate it: test/vectors/README.md)`);
const V = JSON.parse(readFileSync(VECTORS, 'utf8')) as Record<string, any>;

/** The README's default tolerance: relative 1e-9 plus absolute 1e-15. */
function close(actual: number, expected: number, what: string, rel = 1e-9, abs = 1e-15): void {
  const ok = actual === expected || Math.abs(actual - expected) <= abs + rel * Math.abs(expected);
  assert.ok(ok, `${what}: got ${actual}, expected ${expected} (diff ${Math.abs(actual - expected)})`);
}

const ALTS: Alternative[] = ['two-sided', 'greater', 'less'];

describe('stats.json: distributions', () => {
  for (const c of V.distributions.cases) {
    it(`${c.fn} ${JSON.stringify(c.args)}`, () => {
      const df = c.args.df as number;
      const fn = (x: number): number => {
        switch (c.fn) {
          case 'norm.cdf': return normalCdf(x);
          case 'norm.sf': return normalSf(x);
          case 'norm.ppf': return normalPpf(x);
          case 't.cdf': return tCdf(x, df);
          case 't.sf': return tSf(x, df);
          case 't.ppf': return tPpf(x, df);
          default: throw new Error(`unknown function ${c.fn}`);
        }
      };
      c.x.forEach((x: number, i: number) => {
        if (c.fn === 't.ppf') {
          // scipy's t.ppf is only ~3e-9 accurate; the 60-digit mpmath root is the stricter reference.
          close(fn(x), c.expected_mpmath[i], `${c.fn}(${x}) vs mpmath`, 1e-12, 1e-15);
          close(fn(x), c.expected[i], `${c.fn}(${x}) vs scipy`, 1e-8, 1e-15);
        } else {
          close(fn(x), c.expected[i], `${c.fn}(${x})`);
        }
      });
    });
  }
});

describe('stats.json: welch_t', () => {
  for (const c of V.welch_t.cases) {
    it(c.name, () => {
      const a = momentsOf(c.a);
      const b = momentsOf(c.b);
      close(a.mean, c.mean_a, 'mean_a');
      close(a.m2 / (a.n - 1), c.var_a, 'var_a');
      for (const alt of ALTS) {
        const r = welchTTestSamples(c.a, c.b, alt);
        const e = c.expected[alt];
        close(r.statistic, e.t, `${alt} t`);
        close(r.df, e.df, `${alt} df`);
        close(r.pValue, e.p, `${alt} p`);
        if (!c.name.includes('large_offset')) {
          // From summaries the result is the same, except where means near 1e6 are each rounded
          // to a double (the raw-sample entry point above exists for that case).
          close(welchTTest(a, b, alt).pValue, e.p, `${alt} p from moments`);
        }
      }
    });
  }
});

describe('stats.json: mann_whitney_u', () => {
  for (const c of V.mann_whitney_u.cases) {
    it(c.name, () => {
      for (const alt of ALTS) {
        const r = mannWhitneyU(c.a, c.b, alt, 'asymptotic');
        const e = c.expected_asymptotic[alt];
        close(r.statistic, e.U, `${alt} U`);
        close(r.z!, e.z, `${alt} z`);
        close(r.pValue, e.p, `${alt} p`);
        if (c.expected_exact) {
          const x = mannWhitneyU(c.a, c.b, alt, 'exact');
          close(x.pValue, c.expected_exact[alt].p, `${alt} exact p`);
          assert.equal(mannWhitneyU(c.a, c.b, alt, 'auto').method, c.n_a <= 20 && c.n_b <= 20 ? 'exact' : 'asymptotic');
        }
      }
    });
  }
});

describe('stats.json: two_proportion_z', () => {
  for (const c of V.two_proportion_z.cases) {
    it(c.name, () => {
      for (const alt of ALTS) {
        const x = { successes: c.x1, trials: c.n1 };
        const y = { successes: c.x2, trials: c.n2 };
        const pooled = twoProportionZTest(x, y, alt, true);
        close(pooled.statistic, c.expected_pooled[alt].z, `${alt} pooled z`);
        close(pooled.pValue, c.expected_pooled[alt].p, `${alt} pooled p`);
        if (c.expected_unpooled) {
          const unpooled = twoProportionZTest(x, y, alt, false);
          close(unpooled.statistic, c.expected_unpooled[alt].z, `${alt} unpooled z`);
          close(unpooled.pValue, c.expected_unpooled[alt].p, `${alt} unpooled p`);
        }
      }
    });
  }
});

describe('stats.json: chi2_srm', () => {
  for (const c of V.chi2_srm.cases) {
    it(c.name, () => {
      const r = sampleRatioMismatch(c.observed, c.weights);
      close(r.statistic, c.expected.statistic, 'statistic');
      assert.equal(r.df, c.df);
      close(r.pValue, c.expected.p, 'p');
      assert.equal(r.mismatch, c.expected.p < 0.001);
    });
  }
});

describe('stats.json: power_two_sample_t', () => {
  for (const c of V.power_two_sample_t.cases) {
    it(c.name, () => {
      const alternative = c.alternative === 'two-sided' ? 'two-sided' : 'one-sided';
      const r = sampleSizePerGroup({ delta: c.delta, sd: c.sd, alpha: c.alpha, power: c.power, ratio: c.ratio, alternative });
      close(r.nobs1, c.expected.nobs1_refined, 'nobs1 vs brentq', 1e-7);
      assert.ok(Math.abs(r.nobs1 - c.expected.nobs1_solve_power) <= 1e-4, `nobs1 vs statsmodels: ${r.nobs1} vs ${c.expected.nobs1_solve_power}`);
      assert.equal(r.perGroup, c.expected.nobs1_ceil);
      close(r.normalApprox, c.expected.nobs1_normal_approx, 'normal approximation');
      close(tTestPower(c.effect_size, c.expected.nobs1_ceil, c.alpha, c.ratio, alternative), c.expected.power_at_ceil, 'power at ceil', 1e-7);
    });
  }

  it('matches the take-home: +10 ms at sd 15 ms, alpha 0.05, power 0.8 → 37 per group', () => {
    assert.equal(sampleSizePerGroup({ delta: 10, sd: 15, alpha: 0.05, power: 0.8 }).perGroup, 37);
  });
});

describe('stats.json: quantiles', () => {
  for (const c of V.quantiles.cases) {
    it(c.name, () => {
      c.q.forEach((q: number, i: number) => {
        assert.equal(quantile(c.x, q, 'linear'), c.expected.linear[i], `linear q=${q}`);
        assert.equal(quantile(c.x, q, 'higher'), c.expected.higher[i], `higher q=${q}`);
      });
    });
  }
});

describe('stats.json: msprt_normal', () => {
  for (const c of V.msprt_normal.cases) {
    it(c.name, () => {
      const { xbar, ybar, sigma_x, sigma_y } = c.inputs;
      const log = msprtLogLambdaPaired(c.n, xbar, ybar, sigma_x, sigma_y, c.tau, c.theta0);
      close(log, c.log_Lambda_n, 'log Lambda');
      if (c.Lambda_n !== null) close(Math.exp(log), c.Lambda_n, 'Lambda', 1e-9);
      close(nextAlwaysValidP(1, log), c.p_n, 'p_n', 1e-9);
    });
  }

  for (const s of V.msprt_normal.sequences) {
    it(`sequence ${s.name}, step by step`, () => {
      let p = 1;
      let firstReject: number | null = null;
      for (const step of s.steps) {
        const n = step.n as number;
        const xbar = momentsOf(s.x.slice(0, n)).mean;
        const ybar = momentsOf(s.y.slice(0, n)).mean;
        close(xbar, step.xbar, `n=${n} xbar`, 1e-12);
        close(ybar, step.ybar, `n=${n} ybar`, 1e-12);
        const log = msprtLogLambdaPaired(n, step.xbar, step.ybar, s.sigma_x, s.sigma_y, s.tau, s.theta0);
        close(log, step.log_Lambda_n, `n=${n} log Lambda`);
        p = nextAlwaysValidP(p, log);
        close(p, step.p_n, `n=${n} p_n`);
        if (firstReject === null && p <= 0.05) firstReject = n;
      }
      assert.equal(firstReject, s.first_n_with_p_n_le_0_05);
    });
  }
});
