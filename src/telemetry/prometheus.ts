import { Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import type { Variant } from '../domain/index.js';
import type { RecordInput } from './telemetry.js';

/** Latency buckets in seconds: 0.5 ms to 10 s, dense where model serving lives. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Requests scored together in one model call (micro-batching). */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128];

export const ROLLOUT_PHASES = ['none', 'pending', 'progressing', 'paused', 'promoting', 'succeeded', 'rolled_back', 'failed'] as const;

type Labels = Record<string, string>;

interface Sample {
  readonly metricName?: string;
  readonly labels: Labels;
  readonly value: number;
}

/** A histogram's state as plain numbers: per-bucket counts (not cumulative), sum and count. */
class Buckets {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (value <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }

  samples(name: string, labels: Labels, out: Sample[]): void {
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(this.bounds[i]) }, value: cumulative });
    }
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count });
    out.push({ metricName: `${name}_sum`, labels, value: this.sum });
    out.push({ metricName: `${name}_count`, labels, value: this.count });
  }
}

/** Everything counted for one model version and variant, as plain fields the hot path bumps. */
class SeriesTally {
  requests = 0;
  forcedRequests = 0;
  predictions = 0;
  errors = 0;
  labelled = 0;
  correct = 0;
  readonly latency = new Buckets(LATENCY_BUCKETS);

  constructor(readonly labels: Labels) {}
}

/**
 * A metric family whose samples are read from tallies when Prometheus scrapes. prom-client's
 * Registry formats any metric object that answers get(); its own Counter and Histogram hash the
 * label set on every inc() and observe(), which cost about 3.5 µs per prediction (five updates)
 * in the serving benchmark, more than routing, telemetry and the sketch insert together.
 */
class TallyFamily {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram',
    private readonly read: (out: Sample[]) => void,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    this.read(values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** What became of a request sampled for the shadow. */
export type ShadowCallOutcome = 'answered' | 'error' | 'dropped' | 'shed';

/**
 * Prometheus metrics with standard names and units (seconds, `_total` counters), on a registry of
 * this app's own. Per-request metrics are plain tallies turned into samples at scrape time, so a
 * prediction pays a few field increments; gauges and process metrics are prom-client's.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly weight = new Gauge({ name: 'coalmine_canary_weight_ratio', help: 'Configured share of traffic sent to the canary (0-1).', labelNames: ['model'], registers: [this.registry] });
  private storeLink: () => { connected: boolean; since: number } = () => ({ connected: true, since: Date.now() });
  private readonly store: Gauge = new Gauge({
    name: 'coalmine_store_connected',
    help: 'Whether this process reaches its state store (1) or serves its last routing without it (0).',
    registers: [this.registry],
    collect: (): void => this.store.set(this.storeLink().connected ? 1 : 0),
  });
  private readonly storeSince: Gauge = new Gauge({
    name: 'coalmine_store_link_changed_seconds',
    help: 'Unix time at which the store link last went down or came back.',
    registers: [this.registry],
    collect: (): void => this.storeSince.set(this.storeLink().since / 1000),
  });
  private readonly phase = new Gauge({ name: 'coalmine_rollout_phase', help: 'Rollout phase of a model: 1 for the current phase, 0 otherwise.', labelNames: ['model', 'phase'], registers: [this.registry] });
  /** By model, then by version × 2 + (canary ? 1 : 0): no key string to build on every request. */
  private readonly byModel = new Map<string, Map<number, SeriesTally>>();
  private readonly batches = new Map<string, { labels: Labels; sizes: Buckets }>();
  private logDropped = 0;
  /** Shadow calls by model, version and outcome (answered, error, dropped), and compared rows by agreement. */
  private readonly shadowCalls = new Map<string, { labels: Labels; value: number }>();
  private readonly shadowRows = new Map<string, { labels: Labels; value: number }>();
  private shadowLogDropped = 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'coalmine_process_' });
    // prom-client's defaults include three gauges named *_total, which breaks Prometheus naming
    // (promtool: "non-counter metrics should not have _total suffix"); leave those out.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(`coalmine_process_${name}`);
    }
    const family = (name: string, help: string, type: 'counter' | 'histogram', read: (out: Sample[]) => void) => this.register(new TallyFamily(name, help, type, read));
    const perSeries = (name: string, help: string, pick: (t: SeriesTally) => number) =>
      family(name, help, 'counter', (out) => {
        for (const t of this.tallies()) out.push({ labels: t.labels, value: pick(t) });
      });
    family('coalmine_requests_total', 'Prediction requests served, by model, version and variant (a batch counts once).', 'counter', (out) => {
      for (const t of this.tallies()) {
        out.push({ labels: { ...t.labels, forced: 'false' }, value: t.requests });
        if (t.forcedRequests > 0) out.push({ labels: { ...t.labels, forced: 'true' }, value: t.forcedRequests });
      }
    });
    perSeries('coalmine_predictions_total', 'Predictions made (rows scored), by model, version and variant.', (t) => t.predictions);
    perSeries('coalmine_model_errors_total', 'Requests the model failed (threw, timed out or returned garbage); client errors are not counted.', (t) => t.errors);
    perSeries('coalmine_labels_total', 'Ground-truth labels joined to predictions.', (t) => t.labelled);
    perSeries('coalmine_correct_predictions_total', 'Labelled classifier predictions that matched their label.', (t) => t.correct);
    family('coalmine_request_duration_seconds', 'Time coalmine spent on a prediction request, routing and inference included.', 'histogram', (out) => {
      for (const t of this.tallies()) t.latency.samples('coalmine_request_duration_seconds', t.labels, out);
    });
    family('coalmine_prediction_log_dropped_total', 'Predictions not written to the prediction log because its writer was too far behind (their late labels cannot be joined).', 'counter', (out) => {
      out.push({ labels: {}, value: this.logDropped });
    });
    family('coalmine_shadow_calls_total', 'Requests sampled for a shadow version, by outcome: answered, error (failed or timed out), dropped (the in-flight limit was reached) or shed (the event loop was saturated).', 'counter', (out) => {
      for (const c of this.shadowCalls.values()) out.push(c);
    });
    family('coalmine_shadow_rows_total', "Rows a shadow answered beside the primary, by whether the classes agree ('none' for regressors).", 'counter', (out) => {
      for (const c of this.shadowRows.values()) out.push(c);
    });
    family('coalmine_shadow_comparisons_dropped_total', 'Shadow comparisons not written because their writer was too far behind.', 'counter', (out) => {
      out.push({ labels: {}, value: this.shadowLogDropped });
    });
    family('coalmine_model_batch_requests', 'Requests scored together in one model call (micro-batching), by model and version.', 'histogram', (out) => {
      for (const b of this.batches.values()) b.sizes.samples('coalmine_model_batch_requests', b.labels, out);
    });
  }

  private register(family: TallyFamily): void {
    // The registry needs only name and get(); see TallyFamily.
    this.registry.registerMetric(family as unknown as Metric);
  }

  private *tallies(): Iterable<SeriesTally> {
    for (const byKey of this.byModel.values()) yield* byKey.values();
  }

  private tally(model: string, version: number, variant: Variant): SeriesTally {
    let byKey = this.byModel.get(model);
    if (!byKey) this.byModel.set(model, (byKey = new Map()));
    const key = version * 2 + (variant === 'canary' ? 1 : 0);
    let t = byKey.get(key);
    if (!t) byKey.set(key, (t = new SeriesTally({ model, version: String(version), variant })));
    return t;
  }

  onRecord(r: RecordInput, correct: number, labelled: number): void {
    const t = this.tally(r.model, r.version, r.variant);
    if (r.forced) {
      t.forcedRequests++;
      return;
    }
    t.requests++;
    t.latency.observe(r.latencyMs / 1000);
    if (r.error) t.errors++;
    else t.predictions += r.predictions.length;
    t.labelled += labelled;
    t.correct += correct;
  }

  onLabel(model: string, version: number, variant: Variant, correct: boolean | undefined): void {
    const t = this.tally(model, version, variant);
    t.labelled++;
    if (correct) t.correct++;
  }

  onLogDrop(): void {
    this.logDropped++;
  }

  onShadowCall(model: string, version: number, outcome: ShadowCallOutcome): void {
    this.shadowCallCounter(model, version, outcome).value++;
  }

  /**
   * The counter of one shadow call outcome, for a caller that counts often (every shed request):
   * it keeps the counter and increments it, instead of building its key on every request.
   */
  shadowCallCounter(model: string, version: number, outcome: ShadowCallOutcome): { value: number } {
    const key = `${model}|${version}|${outcome}`;
    let c = this.shadowCalls.get(key);
    if (!c) this.shadowCalls.set(key, (c = { labels: { model, version: String(version), outcome }, value: 0 }));
    return c;
  }

  onShadowRows(model: string, version: number, agree: 'true' | 'false' | 'none', rows: number): void {
    if (rows === 0) return;
    const key = `${model}|${version}|${agree}`;
    let c = this.shadowRows.get(key);
    if (!c) this.shadowRows.set(key, (c = { labels: { model, version: String(version), agree }, value: 0 }));
    c.value += rows;
  }

  onShadowLogDrop(): void {
    this.shadowLogDropped++;
  }

  /** One model call that scored `requests` requests together. */
  onBatch(model: string, version: number, requests: number): void {
    const key = `${model}|${version}`;
    let b = this.batches.get(key);
    if (!b) {
      b = { labels: { model, version: String(version) }, sizes: new Buckets(BATCH_BUCKETS) };
      this.batches.set(key, b);
    }
    b.sizes.observe(requests);
  }

  setWeight(model: string, ratio: number): void {
    this.weight.labels({ model }).set(ratio);
  }

  /** Where the store gauges read the link from (the replica's change stream). */
  watchStore(link: () => { connected: boolean; since: number }): void {
    this.storeLink = link;
  }

  setPhase(model: string, phase: (typeof ROLLOUT_PHASES)[number]): void {
    for (const p of ROLLOUT_PHASES) this.phase.labels({ model, phase: p }).set(p === phase ? 1 : 0);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
