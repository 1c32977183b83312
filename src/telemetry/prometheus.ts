import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RecordInput } from './telemetry.js';

/** Latency buckets in seconds: 0.5 ms to 10 s, dense where model serving lives. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Inc {
  inc(value?: number): void;
}

interface Children {
  readonly requests: Inc;
  readonly predictions: Inc;
  readonly errors: Inc;
  readonly duration: { observe(value: number): void };
  readonly labels: Inc;
  readonly correct: Inc;
}

export const ROLLOUT_PHASES = ['none', 'pending', 'progressing', 'paused', 'promoting', 'succeeded', 'rolled_back', 'failed'] as const;

/**
 * Prometheus metrics with standard names and units (seconds, `_total` counters), on a registry of
 * this app's own. Label children are cached per series, so the hot path does no label hashing.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: 'coalmine_requests_total', help: 'Prediction requests served, by model, version and variant (a batch counts once).', labelNames: ['model', 'version', 'variant', 'forced'], registers: [this.registry] });
  private readonly predictions = new Counter({ name: 'coalmine_predictions_total', help: 'Predictions made (rows scored), by model, version and variant.', labelNames: ['model', 'version', 'variant'], registers: [this.registry] });
  private readonly errors = new Counter({ name: 'coalmine_model_errors_total', help: 'Requests the model failed (threw, timed out or returned garbage); client errors are not counted.', labelNames: ['model', 'version', 'variant'], registers: [this.registry] });
  private readonly duration = new Histogram({ name: 'coalmine_request_duration_seconds', help: 'Time coalmine spent on a prediction request, routing and inference included.', labelNames: ['model', 'version', 'variant'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly labels = new Counter({ name: 'coalmine_labels_total', help: 'Ground-truth labels joined to predictions.', labelNames: ['model', 'version', 'variant'], registers: [this.registry] });
  private readonly correct = new Counter({ name: 'coalmine_correct_predictions_total', help: 'Labelled classifier predictions that matched their label.', labelNames: ['model', 'version', 'variant'], registers: [this.registry] });
  private readonly weight = new Gauge({ name: 'coalmine_canary_weight_ratio', help: 'Configured share of traffic sent to the canary (0-1).', labelNames: ['model'], registers: [this.registry] });
  private readonly phase = new Gauge({ name: 'coalmine_rollout_phase', help: 'Rollout phase of a model: 1 for the current phase, 0 otherwise.', labelNames: ['model', 'phase'], registers: [this.registry] });
  private readonly children = new Map<string, Children>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'coalmine_process_' });
    // prom-client's defaults include three gauges named *_total, which breaks Prometheus naming
    // (promtool: "non-counter metrics should not have _total suffix"); leave those out.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(`coalmine_process_${name}`);
    }
  }

  private child(model: string, version: number, variant: string): Children {
    const key = `${model}|${version}|${variant}`;
    let c = this.children.get(key);
    if (!c) {
      const l = { model, version: String(version), variant };
      c = {
        requests: this.requests.labels({ ...l, forced: 'false' }),
        predictions: this.predictions.labels(l),
        errors: this.errors.labels(l),
        duration: this.duration.labels(l),
        labels: this.labels.labels(l),
        correct: this.correct.labels(l),
      };
      this.children.set(key, c);
    }
    return c;
  }

  onRecord(r: RecordInput, correct: number, labelled: number): void {
    if (r.forced) {
      this.requests.labels({ model: r.model, version: String(r.version), variant: r.variant, forced: 'true' }).inc();
      return;
    }
    const c = this.child(r.model, r.version, r.variant);
    c.requests.inc();
    c.duration.observe(r.latencyMs / 1000);
    if (r.error) c.errors.inc();
    else c.predictions.inc(r.predictions.length);
    if (labelled > 0) c.labels.inc(labelled);
    if (correct > 0) c.correct.inc(correct);
  }

  onLabel(model: string, version: number, variant: string, correct: boolean | undefined): void {
    const c = this.child(model, version, variant);
    c.labels.inc();
    if (correct) c.correct.inc();
  }

  setWeight(model: string, ratio: number): void {
    this.weight.labels({ model }).set(ratio);
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
