import type { Evidence, Verdict } from '../../domain/index.js';
import type { Alternative } from '../alternative.js';
import { normalPpf } from '../distributions.js';
import { mannWhitneyU } from '../mann-whitney.js';
import { estimate, type Estimate, type MetricSample } from '../metric-sample.js';
import { variance } from '../moments.js';
import { sampleSizePerGroup } from '../power.js';
import { twoProportionZTest } from '../two-proportion.js';
import { welchTTest } from '../welch-t-test.js';
import * as fmt from './format.js';
import { DEFAULT_ALPHA, DEFAULT_MIN_SAMPLES, type StatisticalJudgeConfig } from './judge-config.js';
import { baseEvidence, fewText, tooFew, verdict, type MetricContext } from './verdicts.js';

interface Tested {
  readonly s: Estimate;
  readonly c: Estimate;
  readonly statistic: string;
  readonly method: string;
  readonly testStatistic: number;
  readonly pValue: number;
  readonly df?: number;
  /** Samples per variant for the power to detect `mde`, or null when it cannot be computed. */
  readonly required: { stable: number; canary: number } | null;
}

/** Mann-Whitney's asymptotic efficiency relative to the t-test under normality (3/π). */
const MANN_WHITNEY_ARE = 3 / Math.PI;

function powerMinimum(config: StatisticalJudgeConfig, sd: number, ratio: number, efficiency = 1): { stable: number; canary: number } | null {
  if (config.mde === undefined || !(sd > 0) || !(ratio > 0)) return null;
  const size = sampleSizePerGroup({ delta: config.mde, sd, alpha: config.alpha ?? DEFAULT_ALPHA, power: config.power ?? 0.8, ratio, alternative: 'one-sided' });
  if (!Number.isFinite(size.nobs1)) return null;
  const canary = Math.ceil(size.nobs1 / efficiency);
  return { canary, stable: Math.ceil(canary * ratio) };
}

/** Normal-approximation sample size for a one-sided two-proportion test with stable = ratio · canary. */
function proportionMinimum(config: StatisticalJudgeConfig, p: number, ratio: number): { stable: number; canary: number } | null {
  if (config.mde === undefined || !(ratio > 0)) return null;
  const variance = Math.max(p * (1 - p), 1e-6);
  const z = normalPpf(1 - (config.alpha ?? DEFAULT_ALPHA)) + normalPpf(config.power ?? 0.8);
  const canary = Math.ceil(((z * z * variance) / (config.mde * config.mde)) * (1 + 1 / ratio));
  return { canary, stable: Math.ceil(canary * ratio) };
}

function run(stable: MetricSample, canary: MetricSample, config: StatisticalJudgeConfig, alternative: Alternative): Tested | string {
  if (config.judge === 'welch_t') {
    const s = estimate(stable, 'mean');
    const c = estimate(canary, 'mean');
    if (!stable.moments || !canary.moments) return 'needs the mean and variance of both variants';
    const r = welchTTest(canary.moments, stable.moments, alternative);
    const pooledSd = Math.sqrt((variance(stable.moments) + variance(canary.moments)) / 2);
    return { s, c, statistic: 'mean', method: 'welch_t', testStatistic: r.statistic, pValue: r.pValue, df: r.df, required: powerMinimum(config, config.assumedSd ?? pooledSd, s.n / Math.max(1, c.n)) };
  }
  if (config.judge === 'mann_whitney') {
    const a = canary.values ?? [];
    const b = stable.values ?? [];
    const s: Estimate = { value: stable.moments?.mean ?? null, n: b.length };
    const c: Estimate = { value: canary.moments?.mean ?? null, n: a.length };
    const r = mannWhitneyU(a, b, alternative);
    const sd = stable.moments && canary.moments ? Math.sqrt((variance(stable.moments) + variance(canary.moments)) / 2) : Number.NaN;
    return { s, c, statistic: 'distribution', method: `mann_whitney_u (${r.method})`, testStatistic: r.statistic, pValue: r.pValue, required: powerMinimum(config, config.assumedSd ?? sd, b.length / Math.max(1, a.length), MANN_WHITNEY_ARE) };
  }
  const s = estimate(stable, 'rate');
  const c = estimate(canary, 'rate');
  if (!stable.proportion || !canary.proportion) return 'needs the counts of both variants';
  const r = twoProportionZTest(canary.proportion, stable.proportion, alternative, true);
  const pooled = (stable.proportion.successes + canary.proportion.successes) / Math.max(1, stable.proportion.trials + canary.proportion.trials);
  return { s, c, statistic: 'rate', method: 'two_proportion_z', testStatistic: r.statistic, pValue: r.pValue, required: proportionMinimum(config, pooled, s.n / Math.max(1, c.n)) };
}

/**
 * A classical one-sided test in the direction of "canary is worse". Fails on significance; passes
 * only when not significant *and* there were enough samples to see a regression of size `mde`
 * (the take-home's "at least 36 samples" rule, computed instead of hard-coded). Meant for one
 * look; checked repeatedly it raises false alarms — use the sequential judge for that.
 */
export function statisticalJudge(ctx: MetricContext, stable: MetricSample, canary: MetricSample, config: StatisticalJudgeConfig): Verdict {
  const alpha = config.alpha ?? DEFAULT_ALPHA;
  const alternative: Alternative = config.better === 'lower' ? 'greater' : 'less';
  const min = config.minSamples ?? DEFAULT_MIN_SAMPLES;
  const t = run(stable, canary, config, alternative);
  if (typeof t === 'string') {
    return verdict(ctx, 'inconclusive', `${ctx.label}: the ${config.judge} judge ${t}`, baseEvidence(config.judge, 'n/a', { value: null, n: 0 }, { value: null, n: 0 }));
  }
  const evidence: Evidence = {
    ...baseEvidence(t.method, t.statistic, t.s, t.c),
    testStatistic: t.testStatistic,
    pValue: t.pValue,
    ...(t.df !== undefined ? { df: t.df } : {}),
    threshold: alpha,
    alpha,
  };
  if (t.s.n < min || t.c.n < min) return tooFew(ctx, evidence, min, min, fewText(ctx, evidence, `a ${t.method} test`));
  const diff = `canary ${ctx.label} ${fmt.value(t.c.value, ctx.unit)} vs stable ${fmt.value(t.s.value, ctx.unit)} (${fmt.delta(evidence.effect.absolute, ctx.unit)})`;
  const test = `one-sided ${fmt.pValue(t.pValue)}`;
  const how = `(${t.method}, ${fmt.ns(t.s.n, t.c.n)})`;
  if (Number.isNaN(t.pValue)) {
    // No spread at all: the difference is exact, so compare the values directly.
    const worse = evidence.effect.absolute !== null && (config.better === 'lower' ? evidence.effect.absolute > 0 : evidence.effect.absolute < 0);
    return verdict(ctx, worse ? 'fail' : 'pass', `${diff}; no variation in either variant, so the difference is exact ${how}`, evidence);
  }
  const underpowered = t.required !== null && (t.c.n < t.required.canary || t.s.n < t.required.stable);
  if (config.powerGate && (underpowered || (config.mde !== undefined && t.required === null))) {
    const need = t.required ?? { stable: min, canary: min };
    return tooFew(ctx, evidence, need.stable, need.canary, `${ctx.label}: the power analysis asks for ${fmt.count(need.canary)} canary and ${fmt.count(need.stable)} stable samples before testing for ${fmt.delta(config.mde ?? null, ctx.unit)} (${fmt.ns(t.s.n, t.c.n)})`);
  }
  if (t.pValue < alpha) return verdict(ctx, 'fail', `${diff} is significantly worse: ${test} < ${alpha} ${how}`, evidence);
  if (underpowered && t.required) {
    return tooFew(ctx, evidence, t.required.stable, t.required.canary, `${diff} is not significantly worse (${test} ${how}), but that is too few samples to detect ${fmt.delta(config.mde ?? null, ctx.unit)} with ${Math.round((config.power ?? 0.8) * 100)}% power`);
  }
  return verdict(ctx, 'pass', `${diff} is not significantly worse: ${test} ≥ ${alpha} ${how}`, evidence);
}
