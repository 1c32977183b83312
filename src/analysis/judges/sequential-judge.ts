import type { Evidence, Verdict } from '../../domain/index.js';
import { estimate, type MetricSample } from '../metric-sample.js';
import { variance } from '../moments.js';
import { msprtInterval, msprtLogLambda } from '../msprt.js';
import * as fmt from './format.js';
import { DEFAULT_ALPHA, DEFAULT_MIN_SAMPLES, type SequentialJudgeConfig } from './judge-config.js';
import { baseEvidence, fewText, tooFew, verdict, type MetricContext } from './verdicts.js';

interface Spread {
  /** Variance of the difference estimate. */
  readonly s2: number;
  /** Standard deviation of one observation, pooled over both variants (sets the default tau). */
  readonly sd: number;
}

function spread(stable: MetricSample, canary: MetricSample, statistic: 'mean' | 'rate'): Spread | null {
  if (statistic === 'mean') {
    const s = stable.moments;
    const c = canary.moments;
    if (!s || !c || s.n < 2 || c.n < 2) return null;
    const vs = variance(s);
    const vc = variance(c);
    return { s2: vs / s.n + vc / c.n, sd: Math.sqrt((vs + vc) / 2) };
  }
  const s = stable.proportion;
  const c = canary.proportion;
  if (!s || !c || s.trials === 0 || c.trials === 0) return null;
  // Laplace-smoothed rates, so 0 errors out of n still has a (small) variance rather than none.
  const ps = (s.successes + 1) / (s.trials + 2);
  const pc = (c.successes + 1) / (c.trials + 2);
  return { s2: (ps * (1 - ps)) / s.trials + (pc * (1 - pc)) / c.trials, sd: Math.sqrt((ps * (1 - ps) + pc * (1 - pc)) / 2) };
}

/**
 * Always-valid non-inferiority by the normal-mixture SPRT. With w the difference oriented so
 * that positive means "canary is worse", and its (1 − α) always-valid confidence interval:
 *
 *   fail          when the whole interval lies above the margin (canary is worse by more than allowed),
 *   pass          when the whole interval lies below the margin (canary is at most `margin` worse),
 *   inconclusive  while the interval still contains the margin.
 *
 * Because the interval is valid at every look at once, checking after every batch does not
 * inflate either error: P(ever failing a canary that is within the margin) ≤ α.
 */
export function sequentialJudge(ctx: MetricContext, stable: MetricSample, canary: MetricSample, config: SequentialJudgeConfig): Verdict {
  const alpha = config.alpha ?? DEFAULT_ALPHA;
  const s = estimate(stable, config.statistic);
  const c = estimate(canary, config.statistic);
  const min = config.minSamples ?? DEFAULT_MIN_SAMPLES;
  const margin = config.margin ?? (config.relativeMargin !== undefined && s.value !== null ? config.relativeMargin * Math.abs(s.value) : 0);
  const base = { ...baseEvidence('msprt_normal', config.statistic, s, c), threshold: margin, alpha };
  const sp = spread(stable, canary, config.statistic);
  if (s.value === null || c.value === null || s.n < min || c.n < min || sp === null) return tooFew(ctx, base, min, min, fewText(ctx, base, 'the sequential test'));
  const sign = config.better === 'lower' ? 1 : -1;
  const worse = sign * (c.value - s.value);
  const tau = config.tau ?? config.mde ?? (margin > 0 ? margin : 0.25 * sp.sd);
  if (!(sp.s2 > 0) || !(tau > 0)) {
    const exact = worse > margin ? 'fail' : 'pass';
    return verdict(ctx, exact, `canary ${ctx.label} ${fmt.value(c.value, ctx.unit)} vs stable ${fmt.value(s.value, ctx.unit)}; no variation, so the difference is exact`, base);
  }
  const ci = msprtInterval(worse, sp.s2, tau, alpha);
  const logLambda = msprtLogLambda({ difference: worse, variance: sp.s2, tau, theta0: margin });
  // Report the interval on the canary − stable scale a person reads.
  const shown = sign === 1 ? ci : { lower: -ci.upper, upper: -ci.lower, level: ci.level };
  const evidence: Evidence = {
    ...base,
    interval: shown,
    pValue: Math.min(1, Math.exp(-logLambda)),
    likelihoodRatio: Math.exp(logLambda),
  };
  const diff = c.value - s.value;
  const compared = diff === 0 ? `the same as stable's` : `${fmt.amount(diff, ctx.unit)} ${diff > 0 ? 'higher' : 'lower'} than stable`;
  const head = `canary ${ctx.label} is ${compared}, ${Math.round(ci.level * 100)}% always-valid interval ${fmt.interval(shown.lower, shown.upper, ctx.unit)}, ${fmt.ns(s.n, c.n)}`;
  const allowed = margin > 0 ? `the allowed margin of ${fmt.amount(margin, ctx.unit)}` : 'no regression';
  if (ci.lower > margin) return verdict(ctx, 'fail', `${head}: worse by more than ${margin > 0 ? allowed : 'zero'}`, evidence);
  if (ci.upper < margin) return verdict(ctx, 'pass', `${head}: within ${allowed}`, evidence);
  // The radius shrinks roughly as 1/√n: estimate the samples that would separate interval and margin.
  const radius = (ci.upper - ci.lower) / 2;
  const gap = Math.abs(worse - margin);
  const factor = gap > 0 ? Math.min(1e6, (radius / gap) ** 2) : Number.POSITIVE_INFINITY;
  if (!Number.isFinite(factor)) {
    return verdict(ctx, 'inconclusive', `${head}: the interval still contains ${allowed}, and the estimate sits on it`, evidence);
  }
  return tooFew(ctx, evidence, s.n * factor, c.n * factor, `${head}: the interval still contains ${allowed}`);
}
