import type { MetricSample } from '../../analysis/index.js';
import type { MetricQuery, MetricsSpec, Variant } from '../../domain/index.js';
import type { VariantPair } from '../metrics-reader.js';
import { emptyVariantMetrics, type VariantMetrics } from '../variant-metrics.js';
import { BucketHistogram } from './bucket-histogram.js';
import { PrometheusClient, type QueryResult } from './prometheus-client.js';
import { queryTemplates, renderQuery, type TemplateVariable } from './promql-presets.js';

/** One variant as the templates see it. */
export interface VariantTarget {
  readonly version: number;
  /** The router's slot for it (a HAProxy server name), or its endpoint. */
  readonly server: string;
  /** Its endpoint, host:port (a scrape target's `instance`). */
  readonly address: string;
  /** The router's backend or upstream name; empty without a router. */
  readonly backend: string;
}

/** What a step's measurement found, or why it failed (a failed query is a measurement error, not a verdict). */
export type Measurement =
  | {
      readonly ok: true;
      readonly pair: VariantPair;
      /** The PromQL behind each query, per variant: evidence for the verdicts. */
      readonly queries: Readonly<Partial<Record<MetricQuery, { readonly stable: string; readonly canary: string }>>>;
      /** Queries that returned no series, per variant ("no data", never read as 0). */
      readonly missing: readonly { readonly variant: Variant; readonly query: MetricQuery }[];
    }
  | { readonly ok: false; readonly error: string; readonly query: string };

const total = (r: QueryResult & { ok: true }): number | null => {
  const values = r.series.map((s) => s.value).filter(Number.isFinite);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
};

/**
 * The Prometheus metric provider: runs each query template for both variants over the step's
 * window and reads the answers as the same samples coalmine's telemetry gives the judges —
 * error rates and accuracy as proportions from counters, latency from histogram buckets (or a
 * mean without spread from an exporter's average).
 */
export class PrometheusProvider {
  private readonly client: PrometheusClient;
  readonly templates: Readonly<Partial<Record<MetricQuery, string>>>;

  constructor(
    readonly spec: MetricsSpec,
    private readonly model: string,
  ) {
    this.client = new PrometheusClient(spec.url, spec.timeoutMs);
    this.templates = queryTemplates(spec);
  }

  /** Whether latency comes as a distribution (buckets) or only as a mean. */
  get latencyForm(): 'distribution' | 'mean' | 'none' {
    return this.templates.latency_buckets ? 'distribution' : this.templates.latency_mean ? 'mean' : 'none';
  }

  async measure(window: { from: number; to: number }, targets: Readonly<Record<Variant, VariantTarget>>): Promise<Measurement> {
    // In milliseconds, not rounded up to seconds: a rounded window reaches back into the last step's traffic.
    const ms = Math.max(1000, Math.round(window.to - window.from));
    const names = Object.keys(this.templates) as MetricQuery[];
    const queries: Partial<Record<MetricQuery, { stable: string; canary: string }>> = {};
    const rendered = (variant: Variant, name: MetricQuery) => {
      const t = targets[variant];
      const vars: Record<TemplateVariable, string> = { model: this.model, version: String(t.version), variant, server: t.server, address: t.address, backend: t.backend, interval: `${ms}ms` };
      return renderQuery(this.templates[name]!, vars);
    };
    for (const name of names) queries[name] = { stable: rendered('stable', name), canary: rendered('canary', name) };
    const jobs = names.flatMap((name) => (['stable', 'canary'] as const).map((variant) => ({ name, variant, promql: queries[name]![variant] })));
    const answers = await Promise.all(jobs.map((j) => this.client.query(j.promql, window.to)));
    const failed = answers.findIndex((a) => !a.ok);
    if (failed >= 0) return { ok: false, error: (answers[failed] as { error: string }).error, query: jobs[failed]!.promql };
    const got = (variant: Variant, name: MetricQuery) => answers[jobs.findIndex((j) => j.variant === variant && j.name === name)] as (QueryResult & { ok: true }) | undefined;
    const missing: { variant: Variant; query: MetricQuery }[] = [];
    const value = (variant: Variant, name: MetricQuery): number | null => {
      const r = got(variant, name);
      if (!r) return null;
      const v = total(r);
      if (v === null) missing.push({ variant, query: name });
      return v;
    };
    const pair = { stable: this.variant('stable', targets.stable, value, got), canary: this.variant('canary', targets.canary, value, got) };
    return { ok: true, pair, queries, missing };
  }

  private variant(
    variant: Variant,
    target: VariantTarget,
    value: (variant: Variant, name: MetricQuery) => number | null,
    got: (variant: Variant, name: MetricQuery) => (QueryResult & { ok: true }) | undefined,
  ): VariantMetrics {
    const empty = emptyVariantMetrics(variant);
    const scale = this.spec.latencyUnit === 's' ? 1000 : 1;
    const requests = value(variant, 'requests');
    const errors = requests !== null && this.templates.errors ? value(variant, 'errors') : null;
    const n = requests === null ? 0 : Math.round(requests);
    const e = errors === null ? null : Math.min(n, Math.round(errors));
    let latency: MetricSample = {};
    let latencyMs = empty.latencyMs;
    const buckets = got(variant, 'latency_buckets');
    if (buckets) {
      // Prometheus writes the last bound as "+Inf", which Number() does not read.
      const le = (raw: string | undefined) => (raw === '+Inf' ? Infinity : Number(raw));
      const h = new BucketHistogram(buckets.series.map((s) => ({ le: le(s.labels.le) * scale, count: s.value })));
      // Read only to report the query as missing when it returned no series at all.
      value(variant, 'latency_buckets');
      const sum = this.templates.latency_sum ? value(variant, 'latency_sum') : null;
      const count = this.templates.latency_count ? value(variant, 'latency_count') : null;
      const moments = h.count > 0 ? h.moments(sum === null ? null : sum * scale, count) : null;
      latency = h.count > 0 ? { sketch: h, ...(moments ? { moments } : {}) } : {};
      const q = (p: number) => (h.count > 0 && Number.isFinite(h.quantile(p)) ? h.quantile(p) : null);
      latencyMs = { mean: moments?.mean ?? null, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
    } else if (this.templates.latency_mean) {
      const mean = value(variant, 'latency_mean');
      if (mean !== null && n > 0) {
        latency = { mean: { value: mean * scale, n } };
        latencyMs = { ...latencyMs, mean: mean * scale };
      }
    }
    const labelled = this.templates.labelled ? value(variant, 'labelled') : null;
    const correct = labelled !== null && this.templates.correct ? value(variant, 'correct') : null;
    const l = labelled === null ? 0 : Math.round(labelled);
    const c = correct === null ? null : Math.min(l, Math.round(correct));
    return {
      ...empty,
      versions: [target.version],
      requests: n,
      errors: e ?? 0,
      errorRate: e !== null && n > 0 ? e / n : null,
      latencyMs,
      labelled: l,
      correct: c ?? 0,
      accuracy: c !== null && l > 0 ? c / l : null,
      samples: {
        ...empty.samples,
        errors: e !== null && n > 0 ? { proportion: { successes: e, trials: n } } : {},
        latency,
        accuracy: c !== null && l > 0 ? { proportion: { successes: c, trials: l } } : {},
      },
    };
  }
}
