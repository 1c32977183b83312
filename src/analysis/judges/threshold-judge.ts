import type { Verdict } from '../../domain/index.js';
import { estimate, type MetricSample } from '../metric-sample.js';
import * as fmt from './format.js';
import { DEFAULT_MIN_SAMPLES, type ThresholdJudgeConfig } from './judge-config.js';
import { baseEvidence, fewText, tooFew, verdict, type MetricContext } from './verdicts.js';

/** The canary's statistic against a fixed limit (the lab's 85% accuracy, 100 ms p95). */
export function thresholdJudge(ctx: MetricContext, stable: MetricSample, canary: MetricSample, config: ThresholdJudgeConfig): Verdict {
  const s = estimate(stable, config.statistic);
  const c = estimate(canary, config.statistic);
  const limit = config.max ?? config.min;
  const evidence = { ...baseEvidence('threshold', config.statistic, s, c), ...(limit !== undefined ? { threshold: limit } : {}) };
  const min = config.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (c.value === null || c.n < min) return tooFew(ctx, evidence, 0, min, fewText(ctx, evidence, 'a threshold check'));
  const where = `canary ${ctx.label} is ${fmt.value(c.value, ctx.unit)}`;
  const tail = `(stable ${fmt.value(s.value, ctx.unit)}, ${fmt.ns(s.n, c.n)})`;
  if (config.max !== undefined && c.value > config.max) {
    return verdict(ctx, 'fail', `${where}, above the limit of ${fmt.value(config.max, ctx.unit)} ${tail}`, evidence);
  }
  if (config.min !== undefined && c.value < config.min) {
    return verdict(ctx, 'fail', `${where}, below the minimum of ${fmt.value(config.min, ctx.unit)} ${tail}`, evidence);
  }
  const bound = config.max !== undefined ? `within the limit of ${fmt.value(config.max, ctx.unit)}` : `above the minimum of ${fmt.value(config.min ?? Number.NaN, ctx.unit)}`;
  return verdict(ctx, 'pass', `${where}, ${bound} ${tail}`, evidence);
}
