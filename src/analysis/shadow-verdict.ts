import type { Interval, ModelTask, ShadowPolicy, VerdictStatus } from '../domain/index.js';
import { normalPpf, tPpf } from './distributions.js';
import { variance, type Moments } from './moments.js';
import { mcnemar, mcnemarSequentialLogLambda, pairedTTest, wilsonInterval, type PairedOutcomes } from './paired.js';

/** What a shadow session measured, summed over every replica. */
export interface ShadowMeasurement {
  readonly task: ModelTask;
  readonly answered: number;
  readonly errors: number;
  /** Rows whose classes were compared, and how many agreed (classifiers). */
  readonly classified: number;
  readonly agreed: number;
  /** Per answered request: shadow latency − primary latency (ms), and the primary's latency. */
  readonly latencyDiff: Moments;
  readonly primaryLatency: Moments;
  readonly outcomes: PairedOutcomes;
  /** |shadow error| − |primary error| per labelled row (regressors). */
  readonly absErrorDiff: Moments;
}

export type ShadowCheckName = 'agreement' | 'errors' | 'latency' | 'accuracy';

export interface ShadowEvidence {
  readonly method: string;
  readonly n: number;
  /** The measured value: a rate, or a difference shadow − primary. */
  readonly estimate: number | null;
  readonly primary?: number | null;
  readonly shadow?: number | null;
  readonly interval?: Interval;
  readonly pValue?: number;
  /** ln Λ of the always-valid test, against `ln(1/alpha)`. */
  readonly logLikelihoodRatio?: number;
  readonly threshold?: number;
  readonly alpha?: number;
  /** McNemar's discordant pairs: b the primary right and the shadow wrong, c the other way round. */
  readonly discordant?: { readonly b: number; readonly c: number };
  readonly exactPValue?: number;
  readonly midPValue?: number;
  /** More samples needed before the check can pass. */
  readonly needed?: number;
}

export interface ShadowCheck {
  readonly check: ShadowCheckName;
  readonly status: VerdictStatus;
  readonly reason: string;
  readonly evidence: ShadowEvidence;
}

export interface ShadowVerdict {
  readonly status: VerdictStatus;
  readonly reason: string;
  readonly checks: readonly ShadowCheck[];
}

const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

/**
 * The shadow's share of calls that failed. Only evidence counts against it: it fails when even the
 * Wilson interval's lower bound exceeds the limit, and passes once enough calls were made without that.
 */
function errorsCheck(m: ShadowMeasurement, p: ShadowPolicy): ShadowCheck {
  const n = m.answered + m.errors;
  const rate = n === 0 ? 0 : m.errors / n;
  const ci = wilsonInterval(m.errors, n, p.alpha);
  const evidence: ShadowEvidence = { method: 'wilson_interval', n, estimate: n === 0 ? null : rate, interval: { ...ci, level: 1 - p.alpha }, threshold: p.maxErrorRate, alpha: p.alpha };
  if (n > 0 && ci.lower > p.maxErrorRate) {
    return { check: 'errors', status: 'fail', reason: `the shadow failed ${m.errors} of ${n} calls (${pct(rate)}, at least ${pct(ci.lower)}), above the ${pct(p.maxErrorRate)} allowed`, evidence };
  }
  if (n < p.minCompared) return { check: 'errors', status: 'inconclusive', reason: `${n} of ${p.minCompared} shadow calls so far`, evidence: { ...evidence, needed: p.minCompared - n } };
  return { check: 'errors', status: 'pass', reason: `${m.errors} of ${n} shadow calls failed (${pct(rate)}); the limit is ${pct(p.maxErrorRate)}`, evidence };
}

/** The share of rows on which the shadow picks the primary's class, against the policy's floor. */
function agreementCheck(m: ShadowMeasurement, p: ShadowPolicy): ShadowCheck {
  const n = m.classified;
  const rate = n === 0 ? 0 : m.agreed / n;
  const ci = wilsonInterval(m.agreed, n, p.alpha);
  const evidence: ShadowEvidence = { method: 'wilson_interval', n, estimate: n === 0 ? null : rate, interval: { ...ci, level: 1 - p.alpha }, threshold: p.minAgreement, alpha: p.alpha };
  if (n > 0 && ci.upper < p.minAgreement) {
    return { check: 'agreement', status: 'fail', reason: `the shadow agrees with the primary on ${pct(rate)} of ${n} rows (at most ${pct(ci.upper)}), below the ${pct(p.minAgreement)} required`, evidence };
  }
  if (n < p.minCompared) return { check: 'agreement', status: 'inconclusive', reason: `${n} of ${p.minCompared} compared rows so far`, evidence: { ...evidence, needed: p.minCompared - n } };
  return { check: 'agreement', status: 'pass', reason: `the shadow agrees on ${pct(rate)} of ${n} rows (${pct(ci.lower)}–${pct(ci.upper)}); at least ${pct(p.minAgreement)} is required`, evidence };
}

/**
 * Paired latency: each request's shadow − primary difference, against a margin of the policy's
 * relative increase of the primary's mean plus 5 ms (a few ms of noise must not fail a fast
 * model). The t interval of the mean difference decides: wholly above the margin fails, wholly
 * below passes.
 */
function latencyCheck(m: ShadowMeasurement, p: ShadowPolicy): ShadowCheck {
  const d = m.latencyDiff;
  const margin = p.maxLatencyIncrease * m.primaryLatency.mean + 5;
  const base = { method: 'paired_t', n: d.n, primary: m.primaryLatency.n > 0 ? m.primaryLatency.mean : null, shadow: d.n > 0 ? m.primaryLatency.mean + d.mean : null, threshold: margin, alpha: p.alpha };
  if (d.n < 2) return { check: 'latency', status: 'inconclusive', reason: `${d.n} paired latencies so far`, evidence: { ...base, estimate: d.n === 1 ? d.mean : null, needed: Math.max(p.minCompared, 2) - d.n } };
  const se = Math.sqrt(variance(d) / d.n);
  const half = (se === 0 ? 0 : tPpf(1 - p.alpha / 2, d.n - 1)) * se;
  const interval: Interval = { lower: d.mean - half, upper: d.mean + half, level: 1 - p.alpha };
  const t = pairedTTest({ n: d.n, mean: d.mean - margin, m2: d.m2 }, 'greater');
  const evidence: ShadowEvidence = { ...base, estimate: d.mean, interval, ...(Number.isFinite(t.pValue) ? { pValue: t.pValue } : {}) };
  const said = `the shadow answers ${ms(d.mean)} ${d.mean >= 0 ? 'slower' : 'faster'} than the primary on average (${ms(interval.lower)} to ${ms(interval.upper)})`;
  if (interval.lower > margin) return { check: 'latency', status: 'fail', reason: `${said}, more than the ${ms(margin)} allowed`, evidence };
  if (d.n < p.minCompared) return { check: 'latency', status: 'inconclusive', reason: `${d.n} of ${p.minCompared} paired latencies so far`, evidence: { ...evidence, needed: p.minCompared - d.n } };
  if (interval.upper <= margin) return { check: 'latency', status: 'pass', reason: `${said}; up to ${ms(margin)} is allowed`, evidence };
  return { check: 'latency', status: 'inconclusive', reason: `${said}: not yet clear of the ${ms(margin)} allowed`, evidence };
}

/**
 * Accuracy on the same labelled requests. For classifiers only the discordant pairs carry evidence:
 * the always-valid McNemar test (mcnemarSequentialLogLambda) fails the shadow once ln Λ ≥ ln(1/α),
 * which keeps false alarms under α however often it is checked; exact and mid-p McNemar values go
 * with it as evidence. For regressors, a one-sided paired t on |error| differences.
 */
function accuracyCheck(m: ShadowMeasurement, p: ShadowPolicy): ShadowCheck {
  const threshold = Math.log(1 / p.alpha);
  if (m.task === 'regressor') {
    const d = m.absErrorDiff;
    const t = pairedTTest(d, 'greater');
    const evidence: ShadowEvidence = { method: 'paired_t', n: d.n, estimate: d.n > 0 ? d.mean : null, ...(Number.isFinite(t.pValue) ? { pValue: t.pValue } : {}), alpha: p.alpha };
    if (d.n < p.minLabelled) {
      if (d.n >= 2 && t.pValue < p.alpha) return { check: 'accuracy', status: 'fail', reason: `on ${d.n} labelled rows the shadow's absolute error is ${d.mean.toFixed(4)} larger (p = ${t.pValue.toPrecision(2)})`, evidence };
      return { check: 'accuracy', status: 'inconclusive', reason: `${d.n} of ${p.minLabelled} labelled rows so far`, evidence: { ...evidence, needed: p.minLabelled - d.n } };
    }
    if (t.pValue < p.alpha) return { check: 'accuracy', status: 'fail', reason: `on ${d.n} labelled rows the shadow's absolute error is ${d.mean.toFixed(4)} larger (p = ${t.pValue.toPrecision(2)})`, evidence };
    return { check: 'accuracy', status: 'pass', reason: `on ${d.n} labelled rows the shadow's absolute error differs by ${d.mean.toFixed(4)}, not significantly worse`, evidence };
  }
  const o = m.outcomes;
  const n = o.both + o.stableOnly + o.shadowOnly + o.neither;
  const b = o.stableOnly;
  const c = o.shadowOnly;
  const primary = n === 0 ? null : (o.both + b) / n;
  const shadow = n === 0 ? null : (o.both + c) / n;
  const logLambda = mcnemarSequentialLogLambda(b, c);
  const exact = mcnemar(b, c);
  // A Wald interval of the paired accuracy difference (c − b) / n, for reading; the test decides.
  const diff = n === 0 ? null : (c - b) / n;
  const se = n === 0 ? 0 : Math.sqrt(Math.max(0, (b + c) / n - ((c - b) / n) ** 2) / n);
  const z = normalPpf(1 - p.alpha / 2);
  const evidence: ShadowEvidence = {
    method: 'mcnemar_sequential',
    n,
    estimate: diff,
    primary,
    shadow,
    ...(diff !== null ? { interval: { lower: diff - z * se, upper: diff + z * se, level: 1 - p.alpha } } : {}),
    logLikelihoodRatio: logLambda,
    threshold,
    alpha: p.alpha,
    discordant: { b, c },
    exactPValue: exact.exactGreater,
    midPValue: exact.midPGreater,
  };
  const accuracies = primary === null || shadow === null ? '' : `: ${pct(shadow)} for the shadow against ${pct(primary)} for the primary`;
  if (logLambda >= threshold) {
    return { check: 'accuracy', status: 'fail', reason: `on ${n} labelled requests both answered, the shadow is less accurate${accuracies} (wrong alone on ${b}, right alone on ${c}; ln Λ ${logLambda.toFixed(2)} ≥ ${threshold.toFixed(2)})`, evidence };
  }
  if (n < p.minLabelled) return { check: 'accuracy', status: 'inconclusive', reason: `${n} of ${p.minLabelled} labelled requests so far${accuracies}`, evidence: { ...evidence, needed: p.minLabelled - n } };
  return { check: 'accuracy', status: 'pass', reason: `on ${n} labelled requests the shadow is not shown less accurate${accuracies} (wrong alone on ${b}, right alone on ${c})`, evidence };
}

/**
 * The shadow's verdict: it fails on the first check with evidence against it, passes when every
 * check has passed (accuracy only once labels arrive: without any, agreement stands in for it
 * and the reason says so), and is inconclusive otherwise.
 */
export function judgeShadow(m: ShadowMeasurement, policy: ShadowPolicy): ShadowVerdict {
  const checks = [errorsCheck(m, policy), ...(m.task === 'regressor' ? [] : [agreementCheck(m, policy)]), latencyCheck(m, policy), accuracyCheck(m, policy)];
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) return { status: 'fail', reason: failed.map((c) => `${c.check}: ${c.reason}`).join('; '), checks };
  const accuracy = checks.find((c) => c.check === 'accuracy')!;
  const unlabelled = accuracy.evidence.n === 0;
  const gating = checks.filter((c) => c !== accuracy || !unlabelled);
  const pending = gating.filter((c) => c.status !== 'pass');
  if (pending.length > 0) return { status: 'inconclusive', reason: pending.map((c) => `${c.check}: ${c.reason}`).join('; '), checks };
  return { status: 'pass', reason: unlabelled ? 'every check passed; accuracy is not judged yet: no labels have arrived (send them to /v1/feedback)' : 'every check passed', checks };
}
