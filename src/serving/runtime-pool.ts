import { AppError, appError, type ModelVersion, type VersionSource } from '../domain/index.js';
import type { AcceptedModel, AcceptedUpstream, UpstreamRequest, VersionLoader } from '../registry/index.js';
import { BatchTurn, MicroBatchingRuntime, type ModelRuntime } from '../runtime/index.js';

export interface PoolLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface RuntimePoolOptions {
  /** Most rows per batched model call; 0: every request is its own model call. */
  readonly microBatchRows: number;
  /** Told about every batched model call (for metrics). */
  readonly onBatch?: (model: string, version: number, rows: number, requests: number) => void;
}

/** Opens one kind of version source as a runtime that can serve (checked, loaded, warmed). */
export interface RuntimeFactory {
  open(version: ModelVersion): Promise<ModelRuntime>;
  /** True when concurrent requests may be scored in one call (in-process models); false for upstreams. */
  readonly batchable: boolean;
  /** For a runtime whose readiness can change while it serves (a model server): null when ready, else why not. */
  ready?(runtime: ModelRuntime): Promise<string | null>;
}

export type RuntimeFactories = Readonly<Record<VersionSource['kind'], RuntimeFactory>>;

/** How each kind of new version is checked before it is registered. */
export interface VersionAcceptors {
  onnx(bytes: Uint8Array): Promise<AcceptedModel>;
  upstream(request: UpstreamRequest): Promise<AcceptedUpstream>;
}

const keyOf = (model: string, version: number): string => `${model}@${version}`;

/** The first line of an error's message, cut to 400 characters: what status and logs show. */
export function errorCause(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 400);
}

interface Loaded {
  readonly runtime: ModelRuntime;
  /** The runtime itself, without the micro-batcher: for the shadow, which batches on its own timer. */
  readonly unbatched: ModelRuntime;
  readonly factory: RuntimeFactory;
  /** Why the version cannot take traffic now (an upstream that stopped being ready), or null. */
  unready: string | null;
}

/**
 * Loaded model versions, shared by everything that serves. Loading is deduplicated (two deploys
 * of the same version load it once) and a failure is remembered with its reason so status can
 * show it; the version can be retried by deploying it again. Each version's source kind picks its
 * factory (ONNX in-process, or a model server), as Flagger's router factory picks by name.
 */
export class RuntimePool implements VersionLoader {
  private readonly loading = new Map<string, Promise<ModelRuntime>>();
  private readonly loaded = new Map<string, Loaded>();
  private readonly failures = new Map<string, string>();
  /** Versions whose model server could not be reached when they were loaded: retried by checkReadiness. */
  private readonly retryable = new Map<string, ModelVersion>();
  // One flush for every version's batcher, so stable and canary wait for the same model calls.
  private readonly turn = new BatchTurn();

  constructor(
    private readonly factories: RuntimeFactories,
    private readonly acceptors: VersionAcceptors,
    private readonly log: PoolLogger,
    private readonly opts: RuntimePoolOptions = { microBatchRows: 0 },
  ) {}

  accept(bytes: Uint8Array): Promise<AcceptedModel> {
    return this.acceptors.onnx(bytes);
  }

  acceptUpstream(request: UpstreamRequest): Promise<AcceptedUpstream> {
    return this.acceptors.upstream(request);
  }

  /**
   * Loads a version so it can serve. An upstream version already loaded is checked again, so a
   * deploy or a rollout start never puts an unready model server in front of users.
   */
  async ensureLoaded(version: ModelVersion): Promise<void> {
    const key = keyOf(version.model, version.version);
    const wasLoaded = this.loaded.has(key);
    await this.load(version);
    // A version opened just now was checked by its factory; one loaded earlier is checked again.
    const entry = wasLoaded ? this.loaded.get(key) : undefined;
    if (entry?.factory.ready) {
      entry.unready = await entry.factory.ready(entry.runtime);
      if (entry.unready !== null) throw appError('upstream_unavailable', `version ${version.version} of "${version.model}" is not ready: ${entry.unready}`);
    }
  }

  private load(version: ModelVersion): Promise<ModelRuntime> {
    const key = keyOf(version.model, version.version);
    const existing = this.loading.get(key);
    if (existing) return existing;
    const started = performance.now();
    const factory = this.factories[version.source.kind];
    const promise = factory.open(version).then(
      (opened) => {
        const runtime = this.batched(opened, version, factory);
        this.loaded.set(key, { runtime, unbatched: opened, factory, unready: null });
        this.failures.delete(key);
        this.retryable.delete(key);
        this.log.info({ model: version.model, version: version.version, source: version.source.kind, ms: Math.round(performance.now() - started) }, 'model version loaded');
        return runtime;
      },
      (err: unknown) => {
        this.loading.delete(key);
        const reason = errorCause(err);
        this.failures.set(key, reason);
        this.log.warn({ model: version.model, version: version.version, reason }, 'model version failed to load');
        // A model server that is down now may be up in a minute: it is retried, and is the upstream's fault (424), not a broken file.
        if (factory.ready) {
          this.retryable.set(key, version);
          throw new AppError('upstream_unavailable', `version ${version.version} of "${version.model}" is not ready: ${reason}`);
        }
        throw new AppError('model_unavailable', `version ${version.version} of "${version.model}" cannot be loaded: ${reason}`);
      },
    );
    this.loading.set(key, promise);
    return promise;
  }

  private batched(runtime: ModelRuntime, version: ModelVersion, factory: RuntimeFactory): ModelRuntime {
    const { microBatchRows, onBatch } = this.opts;
    if (microBatchRows <= 0 || !factory.batchable) return runtime;
    return MicroBatchingRuntime.over(runtime, {
      maxRows: microBatchRows,
      turn: this.turn,
      ...(onBatch ? { onBatch: (rows: number, requests: number) => onBatch(version.model, version.version, rows, requests) } : {}),
    });
  }

  /** The loaded runtime, synchronously, for the hot path; undefined if not (yet) loaded. */
  get(model: string, version: number): ModelRuntime | undefined {
    return this.loaded.get(keyOf(model, version))?.runtime;
  }

  /**
   * The loaded runtime without the micro-batcher, undefined if not (yet) loaded. A shadow's call
   * must not join the primaries' shared flush: there, the replies of every request in the turn
   * would wait for it.
   */
  unbatched(model: string, version: number): ModelRuntime | undefined {
    return this.loaded.get(keyOf(model, version))?.unbatched;
  }

  /** True when the version is loaded and ready to take traffic it could be spared (a canary's). */
  usable(model: string, version: number): boolean {
    const entry = this.loaded.get(keyOf(model, version));
    return entry !== undefined && entry.unready === null;
  }

  /** Why the version cannot serve: it failed to load, or its model server is not ready. */
  failure(model: string, version: number): string | undefined {
    return this.loadFailure(model, version) ?? this.unready(model, version);
  }

  /** Why loading the version failed, if it did. */
  loadFailure(model: string, version: number): string | undefined {
    return this.failures.get(keyOf(model, version));
  }

  /** Why a loaded version's model server is not ready now, if it is not. */
  unready(model: string, version: number): string | undefined {
    return this.loaded.get(keyOf(model, version))?.unready ?? undefined;
  }

  /**
   * Retries the versions whose model server was down when they were loaded, then checks every
   * loaded version whose readiness can change (model servers) and records the answer.
   */
  async checkReadiness(): Promise<void> {
    for (const [key, version] of this.retryable) {
      if (!this.loading.has(key)) await this.load(version).catch(() => undefined);
    }
    await Promise.all(
      [...this.loaded].map(async ([key, entry]) => {
        if (!entry.factory.ready) return;
        const unready = await entry.factory.ready(entry.runtime).catch((err: unknown) => errorCause(err));
        if (unready === entry.unready || this.loaded.get(key) !== entry) return;
        entry.unready = unready;
        const [model, v] = key.split('@') as [string, string];
        if (unready === null) this.log.info({ model, version: Number(v) }, 'model server ready again');
        else this.log.warn({ model, version: Number(v), reason: unready }, 'model server not ready; its traffic goes to stable');
      }),
    );
  }

  /** Closes every loaded version of `model` that is not in `keep`. */
  async retain(model: string, keep: ReadonlySet<number>): Promise<void> {
    for (const [key, version] of this.retryable) if (version.model === model && !keep.has(version.version)) this.retryable.delete(key);
    for (const [key, entry] of this.loaded) {
      const [name, v] = key.split('@') as [string, string];
      if (name !== model || keep.has(Number(v))) continue;
      this.loaded.delete(key);
      this.loading.delete(key);
      await entry.runtime.close();
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    this.loading.clear();
    await Promise.all(all.map((r) => r.runtime.close()));
  }
}
