import { assess, judge, type Assessment, type JudgeConfig } from '../analysis/index.js';

import type { Verdict } from '../domain/index.js';
import { defaultAnalysis, type MetricsReader, type VariantPair } from '../metrics/index.js';
import type { ModelRegistry, ModelSettingsService } from '../registry/index.js';

export interface CheckThresholds {
  /** Percent, e.g. 85. */
  readonly accuracyPct: number;
  readonly latencyMs: number;
}

export interface RollbackCheck {
  readonly rollback_triggered: boolean;
  readonly reason: 'accuracy' | 'latency' | 'accuracy and latency' | null;
  readonly message: string;
  readonly alert: string | null;
  readonly canary_accuracy: number | null;
  readonly canary_p95_latency_ms: number | null;
  readonly canary_requests: number;
  readonly canary_labelled: number;
  readonly accuracy_threshold: number;
  readonly latency_threshold_ms: number;
  readonly canary_percentage: number;
  readonly verdicts: readonly Verdict[];
}

export interface HealthCheck {
  readonly alert_triggered: boolean;
  readonly p_value: number | null;
  readonly message: string;
  readonly stable_avg_latency_ms: number | null;
  readonly canary_avg_latency_ms: number | null;
  readonly stable_sample_count: number;
  readonly canary_sample_count: number;
  readonly verdict: Verdict;
  readonly samples_needed: { readonly stable: number; readonly canary: number } | null;
}

export interface CanaryChecksOptions {
  readonly registry: ModelRegistry;
  readonly settings: ModelSettingsService;
  readonly metrics: MetricsReader;
  readonly thresholds: CheckThresholds;
  readonly now: () => number;
}

const round = (x: number | null, digits = 2): number | null => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/**
 * The seeds' one-shot checks, on coalmine's telemetry and judges: the lab's accuracy/p95 rollback
 * check and the take-home's Welch latency health check (with the power-analysis minimum).
 */
export class CanaryChecks {
  constructor(private readonly opts: CanaryChecksOptions) {}

  /**
   * The current experiment: from the last deploy, reset or registration of the model (its time for
   * the buckets, its routing revision for an exact cut), so traffic of an earlier canary never counts.
   */
  async experiment(model: string): Promise<{ from: number; minRevision: number }> {
    const events = await this.opts.registry.events(model, 200);
    const start = events.find((e) => e.action === 'deploy' || e.action === 'reset' || e.action === 'register' || e.action === 'promote');
    return { from: start ? Date.parse(start.at) : 0, minRevision: start ? start.routing.revision : 0 };
  }

  async read(model: string): Promise<VariantPair> {
    const e = await this.experiment(model);
    return this.opts.metrics.read(model, { ...e, to: this.opts.now() + 60_000 });
  }

  /**
   * The default analysis over the current experiment (since the last deploy or reset): the SRM
   * check on the split, then every metric's verdict, combined.
   */
  async analyze(model: string): Promise<{ assessment: Assessment; since: number; pair: VariantPair }> {
    const current = await this.opts.registry.get(model);
    const e = await this.experiment(model);
    const since = e.from;
    const pair = await this.opts.metrics.read(model, { ...e, to: this.opts.now() + 60_000 });
    const weight = current.routing.canaryVersion === null ? 0 : current.routing.canaryWeightBp;
    const metrics = defaultAnalysis(this.opts.thresholds).map((b) => ({ spec: b.spec, stable: b.pick(pair.stable), canary: b.pick(pair.canary) }));
    const assessment = assess({
      ...(weight > 0 && weight < 10_000 ? { srm: { observed: { stable: pair.stable.requests, canary: pair.canary.requests }, weights: { stable: 10_000 - weight, canary: weight } } } : {}),
      metrics,
    });
    return { assessment, since, pair };
  }

  /** The lab's POST /check_rollback: canary accuracy below the threshold, or p95 above it, sets the weight to 0. */
  async checkRollback(model: string, rollBack: (model: string, reason: string) => Promise<void>): Promise<RollbackCheck> {
    const current = await this.opts.registry.get(model);
    const { accuracyPct, latencyMs } = this.opts.thresholds;
    const m = await this.read(model);
    const ctx = (metric: string, label: string, unit: 'ratio' | 'ms') => ({ metric, label, unit });
    const accuracy = judge(ctx('accuracy', 'accuracy', 'ratio'), m.stable.samples.accuracy, m.canary.samples.accuracy, { judge: 'threshold', statistic: 'rate', min: accuracyPct / 100, minSamples: 1 } satisfies JudgeConfig);
    const latency = judge(ctx('latency_p95', 'p95 latency', 'ms'), m.stable.samples.latency, m.canary.samples.latency, { judge: 'threshold', statistic: 'p95', max: latencyMs, minSamples: 1 } satisfies JudgeConfig);
    const failed = [accuracy.status === 'fail' ? 'accuracy' : null, latency.status === 'fail' ? 'latency' : null].filter((x): x is string => x !== null);
    const base = {
      canary_accuracy: round(m.canary.accuracy === null ? null : m.canary.accuracy * 100, 2),
      canary_p95_latency_ms: round(m.canary.latencyMs.p95),
      canary_requests: m.canary.requests,
      canary_labelled: m.canary.labelled,
      accuracy_threshold: accuracyPct,
      latency_threshold_ms: latencyMs,
      verdicts: [accuracy, latency],
    };
    if (current.routing.canaryVersion === null) {
      return { ...base, rollback_triggered: false, reason: null, message: `model ${model} has no canary deployed; nothing to check`, alert: null, canary_percentage: 0 };
    }
    if (failed.length === 0) {
      const waiting = m.canary.requests === 0 ? 'no canary traffic yet' : `canary healthy: ${accuracy.reason}; ${latency.reason}`;
      return { ...base, rollback_triggered: false, reason: null, message: waiting, alert: null, canary_percentage: current.routing.canaryWeightBp / 100 };
    }
    const reason = failed.join(' and ') as RollbackCheck['reason'];
    const why = [accuracy, latency].filter((v) => v.status === 'fail').map((v) => v.reason.replace(/ → fail$/, '')).join('; ');
    await rollBack(model, `check_rollback: ${reason}`);
    return {
      ...base,
      rollback_triggered: true,
      reason,
      message: `rolled back: canary traffic set to 0% because of ${reason}`,
      alert: `ROLLBACK (${reason}): ${why}`,
      canary_percentage: 0,
    };
  }

  /** The take-home's GET /admin/check-canary-health: is the canary significantly slower (Welch, one-sided)? */
  async checkHealth(model: string, mdeMs = 10): Promise<HealthCheck> {
    const m = await this.read(model);
    const verdict = judge({ metric: 'latency_mean', label: 'mean latency', unit: 'ms' }, m.stable.samples.latency, m.canary.samples.latency, {
      judge: 'welch_t',
      better: 'lower',
      alpha: 0.05,
      mde: mdeMs,
      power: 0.8,
      minSamples: 2,
      powerGate: true,
      // The take-home's planning assumption: latency sd ≈ 15 ms, so 10 ms needs about 36 per group.
      assumedSd: 15,
    });
    const message =
      verdict.status === 'fail'
        ? 'ALERT: Canary latency is significantly higher than stable.'
        : verdict.status === 'pass'
          ? 'Canary performance is acceptable.'
          : `Not enough data yet: ${verdict.reason.replace(/ → inconclusive$/, '')}.`;
    return {
      alert_triggered: verdict.status === 'fail',
      p_value: verdict.evidence.pValue !== undefined && Number.isFinite(verdict.evidence.pValue) ? verdict.evidence.pValue : null,
      message,
      stable_avg_latency_ms: round(m.stable.latencyMs.mean),
      canary_avg_latency_ms: round(m.canary.latencyMs.mean),
      stable_sample_count: m.stable.requests,
      canary_sample_count: m.canary.requests,
      verdict,
      samples_needed: verdict.evidence.needed ?? null,
    };
  }
}
