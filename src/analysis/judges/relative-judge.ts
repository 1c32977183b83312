import type { Verdict } from '../../domain/index.js';
import { estimate, type MetricSample } from '../metric-sample.js';
import * as fmt from './format.js';
import { DEFAULT_MIN_SAMPLES, type RelativeJudgeConfig } from './judge-config.js';
import { baseEvidence, fewText, tooFew, verdict, type MetricContext } from './verdicts.js';

/** The canary's statistic against stable's, with a relative allowance (the controller sketch's "+50% latency"). */
export function relativeJudge(ctx: MetricContext, stable: MetricSample, canary: MetricSample, config: RelativeJudgeConfig): Verdict {
  const s = estimate(stable, config.statistic);
  const c = estimate(canary, config.statistic);
  const slack = config.slack ?? 0;
  const min = config.minSamples ?? DEFAULT_MIN_SAMPLES;
  const lowerIsBetter = config.better === 'lower';
  const allowance = lowerIsBetter ? (config.maxIncrease ?? 0.5) : (config.maxDecrease ?? 0.05);
  const limit = s.value === null ? null : lowerIsBetter ? s.value * (1 + allowance) + slack : s.value * (1 - allowance) - slack;
  const evidence = { ...baseEvidence('relative', config.statistic, s, c), ...(limit !== null ? { threshold: limit } : {}) };
  if (s.value === null || c.value === null || s.n < min || c.n < min) return tooFew(ctx, evidence, min, min, fewText(ctx, evidence, 'a comparison with stable'));
  const rule = `${lowerIsBetter ? 'at most' : 'at least'} ${fmt.value(limit, ctx.unit)} (stable ${fmt.value(s.value, ctx.unit)} ${lowerIsBetter ? '+' : '−'}${fmt.count(Math.round(allowance * 100))}%${slack ? ` ${lowerIsBetter ? '+' : '−'} ${fmt.value(slack, ctx.unit)}` : ''})`;
  const worse = lowerIsBetter ? c.value > limit! : c.value < limit!;
  const text = `canary ${ctx.label} is ${fmt.value(c.value, ctx.unit)}${fmt.relative(evidence.effect.relative)} vs stable; allowed ${rule}, ${fmt.ns(s.n, c.n)}`;
  return verdict(ctx, worse ? 'fail' : 'pass', text, evidence);
}
