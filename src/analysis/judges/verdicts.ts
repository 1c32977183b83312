import type { Evidence, Verdict, VerdictStatus } from '../../domain/index.js';
import type { Estimate, Unit } from '../metric-sample.js';
import * as fmt from './format.js';

export interface MetricContext {
  readonly metric: string;
  readonly unit: Unit;
  /** How the statistic reads in a sentence, e.g. "p95 latency", "error rate". */
  readonly label: string;
}

export function verdict(ctx: MetricContext, status: VerdictStatus, reason: string, evidence: Evidence): Verdict {
  return { metric: ctx.metric, status, reason: `${reason} → ${status}`, evidence };
}

/** Estimates and effect (canary − stable, absolute and relative to stable) for the evidence. */
export function baseEvidence(method: string, statistic: string, stable: Estimate, canary: Estimate): Evidence {
  const absolute = stable.value !== null && canary.value !== null ? canary.value - stable.value : null;
  const relative = absolute !== null && stable.value !== null && stable.value !== 0 ? absolute / Math.abs(stable.value) : null;
  return {
    method,
    statistic,
    n: { stable: stable.n, canary: canary.n },
    estimate: { stable: stable.value, canary: canary.value },
    effect: { absolute, relative },
  };
}

/** `<label>: too few observations for <what> (n = s/c)`. */
export function fewText(ctx: MetricContext, evidence: Evidence, what: string): string {
  return `${ctx.label}: too few observations for ${what} (${fmt.ns(evidence.n.stable, evidence.n.canary)})`;
}

/**
 * The verdict when there is too little data: never a pass, never a fail, and it says how many
 * more observations each variant needs.
 */
export function tooFew(ctx: MetricContext, evidence: Evidence, needStable: number, needCanary: number, why: string): Verdict {
  const needed = { stable: Math.max(0, Math.ceil(needStable - evidence.n.stable)), canary: Math.max(0, Math.ceil(needCanary - evidence.n.canary)) };
  const parts = [needed.canary > 0 ? `${fmt.count(needed.canary)} more canary` : '', needed.stable > 0 ? `${fmt.count(needed.stable)} more stable` : '']
    .filter(Boolean)
    .join(' and ');
  return verdict(ctx, 'inconclusive', `${why}; needs ${parts || 'more'} samples`, {
    ...evidence,
    needed,
  });
}
