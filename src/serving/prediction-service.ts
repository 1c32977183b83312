import { randomUUID } from 'node:crypto';
import { AppError, notFound, type FeatureRow, type Model, type ModelVersion, type Prediction, type Variant } from '../domain/index.js';
import type { ModelRegistry } from '../registry/index.js';
import { pickVariant, seedForModel } from '../routing/index.js';
import { ModelOutputError } from '../runtime/index.js';
import type { PoolLogger, RuntimePool } from './runtime-pool.js';
import { validateRows } from './validate-rows.js';

interface LiveArm {
  readonly version: ModelVersion;
}

/** What the hot path reads per request: plain fields, swapped whole on every routing change. */
interface LiveRoute {
  readonly name: string;
  readonly seed: number;
  readonly canaryWeightBp: number;
  readonly stable: LiveArm;
  readonly canary: LiveArm | null;
}

export interface PredictRequest {
  readonly rows: readonly FeatureRow[];
  readonly key?: string | undefined;
  readonly forced?: Variant | undefined;
}

export interface PredictResult {
  readonly requestId: string;
  readonly model: string;
  readonly version: number;
  readonly variant: Variant;
  readonly forced: boolean;
  readonly predictions: Prediction[];
  readonly latencyMs: number;
}

export interface PredictionServiceOptions {
  readonly registry: ModelRegistry;
  readonly pool: RuntimePool;
  readonly maxBatchRows: number;
  readonly log: PoolLogger;
  readonly random?: () => number;
}

/**
 * The data plane: routes each request to stable or canary and scores it. It reads an in-memory
 * snapshot kept in step with the registry (which persists first), so a weight change applies to
 * the very next request and the hot path never touches the store.
 */
export class PredictionService {
  private readonly routes = new Map<string, LiveRoute>();
  private readonly random: () => number;

  constructor(private readonly opts: PredictionServiceOptions) {
    this.random = opts.random ?? Math.random;
    opts.registry.onRoutingChange((model) => this.sync(model));
  }

  /** Loads every model's serving versions; a version that fails is logged and reported, not fatal. */
  async start(): Promise<void> {
    for (const model of await this.opts.registry.list()) {
      const r = model.routing;
      for (const v of [r.stableVersion, r.canaryVersion]) {
        const version = v === null ? undefined : model.versions.find((x) => x.version === v);
        if (version) await this.opts.pool.ensureLoaded(version).catch(() => undefined);
      }
      this.sync(model);
    }
  }

  /** True when every serving version of every model is loaded. */
  ready(): { ready: boolean; problems: string[] } {
    const problems: string[] = [];
    for (const route of this.routes.values()) {
      for (const arm of [route.stable, route.canary]) {
        if (arm && !this.opts.pool.get(route.name, arm.version.version)) {
          const why = this.opts.pool.failure(route.name, arm.version.version) ?? 'not loaded yet';
          problems.push(`${route.name} v${arm.version.version}: ${why}`);
        }
      }
    }
    return { ready: problems.length === 0, problems };
  }

  private sync(model: Model): void {
    const r = model.routing;
    const find = (v: number) => model.versions.find((x) => x.version === v)!;
    this.routes.set(model.name, {
      name: model.name,
      seed: seedForModel(model.name),
      canaryWeightBp: r.canaryVersion === null ? 0 : r.canaryWeightBp,
      stable: { version: find(r.stableVersion) },
      canary: r.canaryVersion === null ? null : { version: find(r.canaryVersion) },
    });
    const keep = new Set([r.stableVersion, ...(r.canaryVersion === null ? [] : [r.canaryVersion])]);
    void this.opts.pool.retain(model.name, keep);
  }

  /** The version a variant of a model serves now, for replies that name it. */
  versionOf(name: string, variant: Variant): ModelVersion | undefined {
    const route = this.routes.get(name);
    return variant === 'stable' ? route?.stable.version : route?.canary?.version;
  }

  async predict(name: string, req: PredictRequest): Promise<PredictResult> {
    const started = performance.now();
    const route = this.routes.get(name);
    if (!route) throw notFound('model_not_found', `model "${name}" not found; GET /v1/models lists the registered models`);
    if (req.forced === 'canary' && !route.canary) {
      throw new AppError('no_canary', 409, `model "${name}" has no canary deployed, so X-Coalmine-Variant: canary cannot be served`);
    }
    let variant = pickVariant({ canaryWeightBp: route.canaryWeightBp, seed: route.seed, key: req.key, forced: req.forced }, this.random);
    // A canary that cannot load must not cost its users an error: stable answers instead, and the
    // failure shows in status and /readyz. A tester who forced the canary gets the error.
    if (variant === 'canary' && req.forced === undefined && !this.opts.pool.get(name, route.canary!.version.version)) variant = 'stable';
    const arm = variant === 'canary' ? route.canary! : route.stable;
    validateRows(name, req.rows, arm.version.signature, this.opts.maxBatchRows);
    const runtime = this.opts.pool.get(name, arm.version.version);
    if (!runtime) {
      const why = this.opts.pool.failure(name, arm.version.version) ?? 'it is still loading';
      throw new AppError('model_unavailable', 503, `${variant} version ${arm.version.version} of "${name}" cannot serve: ${why}`);
    }
    let predictions: Prediction[];
    try {
      predictions = await runtime.predict(req.rows, { signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      const message = err instanceof ModelOutputError ? err.message : err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw new AppError('model_error', 500, `${variant} version ${arm.version.version} of "${name}" failed: ${message}`);
    }
    return {
      requestId: randomUUID(),
      model: name,
      version: arm.version.version,
      variant,
      forced: req.forced !== undefined,
      predictions,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
  }
}
