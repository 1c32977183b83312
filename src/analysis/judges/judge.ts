import type { Verdict } from '../../domain/index.js';
import type { MetricSample } from '../metric-sample.js';
import { driftJudge } from './drift-judge.js';
import type { JudgeConfig } from './judge-config.js';
import { relativeJudge } from './relative-judge.js';
import { sequentialJudge } from './sequential-judge.js';
import { statisticalJudge } from './statistical-judge.js';
import { thresholdJudge } from './threshold-judge.js';
import type { MetricContext } from './verdicts.js';

/** Dispatches to the judge the config names. Never throws on data: degenerate input is a verdict. */
export function judge(ctx: MetricContext, stable: MetricSample, canary: MetricSample, config: JudgeConfig): Verdict {
  switch (config.judge) {
    case 'threshold':
      return thresholdJudge(ctx, stable, canary, config);
    case 'relative':
      return relativeJudge(ctx, stable, canary, config);
    case 'welch_t':
    case 'mann_whitney':
    case 'two_proportion':
      return statisticalJudge(ctx, stable, canary, config);
    case 'sequential':
      return sequentialJudge(ctx, stable, canary, config);
    case 'drift':
      return driftJudge(ctx, stable, canary, config);
  }
}
