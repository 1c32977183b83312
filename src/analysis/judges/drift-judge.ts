import type { Verdict } from '../../domain/index.js';
import { ksTestBinned, populationStabilityIndex } from '../drift.js';
import type { MetricSample } from '../metric-sample.js';
import * as fmt from './format.js';
import { type DriftJudgeConfig } from './judge-config.js';
import { baseEvidence, fewText, tooFew, verdict, type MetricContext } from './verdicts.js';

/**
 * Fails when the canary's score distribution has moved away from stable's by more than `maxPsi`
 * (default 0.2) *and* the KS test says the move is not noise (p < alpha, default 0.001): PSI alone
 * is large on small samples by chance, KS alone flags shifts too small to matter.
 */
export function driftJudge(ctx: MetricContext, stable: MetricSample, canary: MetricSample, config: DriftJudgeConfig): Verdict {
  const maxPsi = config.maxPsi ?? 0.2;
  const alpha = config.alpha ?? 0.001;
  const min = config.minSamples ?? 100;
  const hs = stable.histogram;
  const hc = canary.histogram;
  const ns = hs ? hs.counts.reduce((a, b) => a + b, 0) : 0;
  const nc = hc ? hc.counts.reduce((a, b) => a + b, 0) : 0;
  const base = { ...baseEvidence('psi_ks', 'score distribution', { value: null, n: ns }, { value: null, n: nc }), threshold: maxPsi, alpha };
  if (!hs || !hc || ns < min || nc < min) return tooFew(ctx, base, min, min, fewText(ctx, base, 'a comparison of score distributions'));
  const psi = populationStabilityIndex(hs, hc);
  const ks = ksTestBinned(hs, hc);
  const evidence = { ...base, estimate: { stable: 0, canary: psi }, effect: { absolute: psi, relative: null }, testStatistic: ks.statistic, pValue: ks.pValue };
  const text = `canary scores vs stable: PSI ${fmt.value(psi, 'none')} (limit ${maxPsi}), KS D = ${fmt.value(ks.statistic, 'none')}, ${fmt.pValue(ks.pValue)}, ${fmt.ns(ns, nc)}`;
  if (psi > maxPsi && ks.pValue < alpha) return verdict(ctx, 'fail', `${text}: the prediction distribution has shifted`, evidence);
  if (psi <= maxPsi) return verdict(ctx, 'pass', `${text}: no material shift`, evidence);
  return verdict(ctx, 'inconclusive', `${text}: PSI is high but not yet distinguishable from noise`, evidence);
}
