import { CallDeadlines } from './call-deadlines.js';
import { AppError, hasFaults, appError, servingVersions, type FeatureRow, type Label, type Model, type ModelVersion, type Prediction, type ShadowRouting, type Variant } from '../domain/index.js';
import type { ModelRegistry, ModelSettingsService } from '../registry/index.js';
import { pickVariant, seedForModel } from '../routing/index.js';
import { FaultInjectingRuntime, ModelOutputError, settlesNextTurn, UpstreamRejectedError, type ModelRuntime } from '../runtime/index.js';
import type { PredictionLog, Telemetry } from '../telemetry/index.js';
import { uuidv7 } from './request-id.js';
import type { ShadowRunner } from './shadow-runner.js';
import type { PoolLogger, RuntimePool } from './runtime-pool.js';
import { validateLabels, validateRows } from './validate-rows.js';

interface LiveArm {
  readonly version: ModelVersion;
}

/** What the hot path reads per request: plain fields, swapped whole on every routing change. */
interface LiveRoute {
  readonly name: string;
  readonly seed: number;
  readonly revision: number;
  readonly canaryWeightBp: number;
  readonly stable: LiveArm;
  readonly canary: LiveArm | null;
  /** The shadow session and its version, copied a share of answered requests after their replies. */
  readonly shadow: { readonly routing: ShadowRouting; readonly version: ModelVersion; readonly sample: number } | null;
}

export interface PredictRequest {
  readonly rows: readonly FeatureRow[];
  readonly key?: string | undefined;
  readonly forced?: Variant | undefined;
  /** Ground truth per row, when the caller knows it. */
  readonly labels?: readonly (Label | null)[] | undefined;
}

export interface PredictResult {
  readonly requestId: string;
  readonly model: string;
  readonly version: number;
  readonly variant: Variant;
  readonly forced: boolean;
  /** The canary failed and stable answered instead. */
  readonly fallback: boolean;
  readonly predictions: Prediction[];
  readonly latencyMs: number;
}

export interface PredictionServiceOptions {
  readonly registry: ModelRegistry;
  readonly settings: ModelSettingsService;
  readonly pool: RuntimePool;
  readonly telemetry: Telemetry;
  readonly predictionLog: PredictionLog;
  readonly maxBatchRows: number;
  readonly timeoutMs: number;
  /** Answer a failed canary request from stable (default true). */
  readonly fallback?: boolean;
  readonly log: PoolLogger;
  readonly random?: () => number;
  /** Where shadowed requests go; without it a shadow in routing is not run. */
  readonly shadows?: ShadowRunner;
}

function modelFailure(variant: Variant, version: number, model: string, err: unknown): AppError {
  if (err instanceof UpstreamRejectedError) return new AppError('upstream_rejected', `${variant} version ${version} of "${model}": ${err.message}`);
  const message = err instanceof ModelOutputError ? err.message : err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new AppError('model_error', `${variant} version ${version} of "${model}" failed: ${message}`);
}

/**
 * The data plane: routes each request to stable or canary, scores it, and records what happened.
 * It reads an in-memory snapshot kept in step with the registry (which persists first), so a
 * weight change applies to the very next request and the hot path never waits on the store.
 */
export class PredictionService {
  private readonly routes = new Map<string, LiveRoute>();
  private readonly random: () => number;
  private readonly deadlines: CallDeadlines;

  constructor(private readonly opts: PredictionServiceOptions) {
    this.random = opts.random ?? Math.random;
    this.deadlines = new CallDeadlines(opts.timeoutMs);
    opts.registry.onRoutingChange((model) => this.sync(model));
  }

  /** Loads every model's serving versions; a version that fails is logged and reported, not fatal. */
  async start(): Promise<void> {
    const models = await this.opts.registry.list();
    await this.opts.settings.load(models.map((m) => m.name));
    for (const model of models) {
      const r = model.routing;
      for (const v of servingVersions(r)) {
        const version = model.versions.find((x) => x.version === v);
        if (version) await this.opts.pool.ensureLoaded(version).catch(() => undefined);
      }
      this.sync(model);
    }
  }

  /** True when every serving version of every model is loaded, and each model server behind one is ready. */
  ready(): { ready: boolean; problems: string[] } {
    const problems: string[] = [];
    for (const route of this.routes.values()) {
      for (const arm of [route.stable, route.canary]) {
        if (arm && !this.opts.pool.usable(route.name, arm.version.version)) {
          const why = this.opts.pool.failure(route.name, arm.version.version) ?? 'not loaded yet';
          problems.push(`${route.name} v${arm.version.version}: ${why}`);
        }
      }
    }
    return { ready: problems.length === 0, problems };
  }

  /** The versions serving `name` now (the hot path's own snapshot), or undefined for an unknown model. */
  serving(name: string): { readonly stable: ModelVersion; readonly canary: ModelVersion | null } | undefined {
    const route = this.routes.get(name);
    return route ? { stable: route.stable.version, canary: route.canary?.version ?? null } : undefined;
  }

  /** The routing revision the hot path uses for `name` now, or null for a model it does not serve. */
  servingRevision(name: string): number | null {
    return this.routes.get(name)?.revision ?? null;
  }

  /** True when the version is loaded and, for a model server, ready now. */
  usable(name: string, version: number): boolean {
    return this.opts.pool.usable(name, version);
  }

  private sync(model: Model): void {
    const r = model.routing;
    const find = (v: number) => model.versions.find((x) => x.version === v)!;
    this.routes.set(model.name, {
      name: model.name,
      seed: seedForModel(model.name),
      revision: r.revision,
      canaryWeightBp: r.canaryVersion === null ? 0 : r.canaryWeightBp,
      stable: { version: find(r.stableVersion) },
      canary: r.canaryVersion === null ? null : { version: find(r.canaryVersion) },
      shadow: r.shadow ? { routing: r.shadow, version: find(r.shadow.version), sample: r.shadow.sampleBp / 10_000 } : null,
    });
    const keep = new Set(servingVersions(r));
    void this.opts.pool.retain(model.name, keep);
  }

  private runtimeFor(model: string, variant: Variant, version: number): ModelRuntime | undefined {
    const runtime = this.opts.pool.get(model, version);
    if (!runtime) return undefined;
    const fault = this.opts.settings.get(model).faults[variant];
    return hasFaults(fault) ? new FaultInjectingRuntime(runtime, fault!, this.random) : runtime;
  }

  async predict(name: string, req: PredictRequest): Promise<PredictResult> {
    const started = performance.now();
    const route = this.routes.get(name);
    if (!route) throw appError('model_not_found', `model "${name}" not found; GET /v1/models lists the registered models`);
    if (req.forced === 'canary' && !route.canary) {
      throw new AppError('no_canary', `model "${name}" has no canary deployed, so X-Coalmine-Variant: canary cannot be served`);
    }
    let variant = pickVariant({ canaryWeightBp: route.canaryWeightBp, seed: route.seed, key: req.key, forced: req.forced }, this.random);
    // A canary that cannot load, or whose model server is not ready, must not cost its users an
    // error: stable answers instead, and the reason shows in status and /readyz. A tester who
    // forced the canary gets the error.
    if (variant === 'canary' && req.forced === undefined && !this.opts.pool.usable(name, route.canary!.version.version)) variant = 'stable';
    const arm = variant === 'canary' ? route.canary! : route.stable;
    validateRows(name, req.rows, arm.version.signature, this.opts.maxBatchRows);
    if (req.labels) validateLabels(req.labels, req.rows.length, arm.version.signature);
    const forced = req.forced !== undefined;
    const requestId = uuidv7();
    const call = this.call(name, variant, arm.version, req.rows, requestId);
    let predictions: Prediction[];
    try {
      predictions = await call;
    } catch (err) {
      // The upstream refused the caller's input: the caller's error, not the version's.
      if (err instanceof UpstreamRejectedError) throw modelFailure(variant, arm.version.version, name, err);
      return this.failed(route, req, variant, arm.version, requestId, started, modelFailure(variant, arm.version.version, name, err));
    }
    const latencyMs = performance.now() - started;
    this.record(route, variant, arm.version, forced, requestId, latencyMs, predictions, req.labels);
    // Forced requests are testers', not traffic; a failed request has nothing to compare.
    const shadow = route.shadow;
    if (shadow && !forced && this.opts.shadows && (shadow.sample >= 1 || this.random() < shadow.sample)) {
      this.opts.shadows.offer({ shadow: shadow.routing, version: shadow.version, model: name, requestId, primaryVersion: arm.version, rows: req.rows, primary: predictions, primaryLatencyMs: latencyMs, labels: req.labels });
    }
    return { requestId, model: name, version: arm.version.version, variant, forced, fallback: false, predictions, latencyMs: Math.round(latencyMs * 1000) / 1000 };
  }

  /** The model call failed: its error counts against the variant, and a canary's request is answered by stable. */
  private async failed(route: LiveRoute, req: PredictRequest, variant: Variant, version: ModelVersion, requestId: string, started: number, err: AppError): Promise<PredictResult> {
    const forced = req.forced !== undefined;
    const name = route.name;
    this.opts.telemetry.record({ model: name, variant, version: version.version, revision: route.revision, forced, task: version.signature.task, latencyMs: performance.now() - started, error: true, predictions: [] });
    if (variant !== 'canary' || forced || this.opts.fallback === false) throw err;
    // The canary failed: its error counts against it, and stable answers so the caller sees none.
    const stable = route.stable.version;
    validateRows(name, req.rows, stable.signature, this.opts.maxBatchRows);
    const predictions = await this.call(name, 'stable', stable, req.rows, requestId).catch((e: unknown) => {
      throw modelFailure('stable', stable.version, name, e);
    });
    const latencyMs = performance.now() - started;
    this.logPredictions(route, 'stable', stable, forced, requestId, predictions, req.labels);
    return { requestId, model: name, version: stable.version, variant: 'stable', forced, fallback: true, predictions, latencyMs: Math.round(latencyMs * 1000) / 1000 };
  }

  /**
   * Starts the model call; throws at once (503) when the version cannot serve. Neither async nor
   * wrapped, so it adds no promise turn of its own: the caller's await is where a rejection becomes
   * the variant's model error.
   */
  private call(name: string, variant: Variant, version: ModelVersion, rows: readonly FeatureRow[], requestId: string): Promise<Prediction[]> {
    const runtime = this.runtimeFor(name, variant, version.version);
    if (!runtime) {
      const why = this.opts.pool.failure(name, version.version) ?? 'it is still loading';
      throw new AppError('model_unavailable', `${variant} version ${version.version} of "${name}" cannot serve: ${why}`);
    }
    // A synchronous model blocks the thread its deadline timer would run on: by the time the
    // timer could fire, the answer is there. Such calls skip the deadline's bookkeeping.
    return settlesNextTurn(runtime) ? runtime.predict(rows) : this.deadlines.run((opts) => runtime.predict(rows, opts), requestId);
  }

  private record(route: LiveRoute, variant: Variant, version: ModelVersion, forced: boolean, requestId: string, latencyMs: number, predictions: Prediction[], labels: PredictRequest['labels']): void {
    this.opts.telemetry.record({
      model: route.name,
      variant,
      version: version.version,
      revision: route.revision,
      forced,
      task: version.signature.task,
      latencyMs,
      error: false,
      predictions,
      labels,
    });
    this.logPredictions(route, variant, version, forced, requestId, predictions, labels);
  }

  private logPredictions(route: LiveRoute, variant: Variant, version: ModelVersion, forced: boolean, requestId: string, predictions: Prediction[], labels: PredictRequest['labels']): void {
    const now = Date.now();
    for (let row = 0; row < predictions.length; row++) {
      const p = predictions[row]!;
      const label = labels?.[row] ?? null;
      this.opts.predictionLog.append({
        requestId,
        row,
        model: route.name,
        variant,
        version: version.version,
        revision: route.revision,
        forced,
        createdAt: now,
        prediction: p.prediction,
        probability: p.probability ?? null,
        label,
        labelledAt: label === null ? null : now,
      });
    }
  }
}
