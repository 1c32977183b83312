import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { AppError, appError, type ModelSignature, type ModelVersion } from '../domain/index.js';
import type { AcceptedModel, VersionLoader } from '../registry/index.js';
import { BatchTurn, inspectOnnx, MicroBatchingRuntime, OnnxModelRuntime, type ModelRuntime } from '../runtime/index.js';

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

const keyOf = (model: string, version: number): string => `${model}@${version}`;

/** Streamed, so checking a large artifact does not hold the event loop. */
async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function cause(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 400);
}

/**
 * Loaded model versions, shared by everything that serves. Loading is deduplicated (two deploys
 * of the same version load it once) and a failure is remembered with its reason so status can
 * show it; the version can be retried by deploying it again.
 */
export class RuntimePool implements VersionLoader {
  private readonly loading = new Map<string, Promise<ModelRuntime>>();
  private readonly loaded = new Map<string, ModelRuntime>();
  private readonly failures = new Map<string, string>();
  // One flush for every version's batcher, so stable and canary wait for the same model calls.
  private readonly turn = new BatchTurn();

  constructor(
    private readonly artifactPath: (version: ModelVersion) => string,
    private readonly log: PoolLogger,
    private readonly opts: RuntimePoolOptions = { microBatchRows: 0 },
  ) {}

  async accept(bytes: Uint8Array): Promise<AcceptedModel> {
    const inspected = inspectOnnx(bytes);
    let runtime: ModelRuntime;
    try {
      runtime = await OnnxModelRuntime.load(inspected.bytes, inspected.signature);
    } catch (err) {
      throw appError('invalid_model', `onnxruntime cannot load this graph: ${cause(err)}`);
    }
    try {
      await this.probe(runtime, inspected.signature);
    } finally {
      await runtime.close();
    }
    return inspected;
  }

  /** Scores two rows of zeros so a graph that loads but fails at run time is refused at registration. */
  private async probe(runtime: ModelRuntime, signature: ModelSignature): Promise<void> {
    if (signature.featureCount === null) return;
    const row = new Array<number>(signature.featureCount).fill(0);
    try {
      await runtime.predict([row, row], { signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      throw appError('invalid_model', `the graph loads but fails on a probe row of ${signature.featureCount} zeros: ${cause(err)}`);
    }
  }

  async ensureLoaded(version: ModelVersion): Promise<void> {
    await this.load(version);
  }

  private load(version: ModelVersion): Promise<ModelRuntime> {
    const key = keyOf(version.model, version.version);
    const existing = this.loading.get(key);
    if (existing) return existing;
    const started = performance.now();
    const path = this.artifactPath(version);
    // onnxruntime says only "File doesn't exist"; say which file and what to do.
    const promise = access(path)
      .then(
        () => undefined,
        () => {
          throw new Error(`its file ${path} is missing (deleted or moved); restore it, or register the model again`);
        },
      )
      // A file changed or damaged on disk would load and serve wrong answers: check it first.
      .then(() => sha256File(path))
      .then((actual) => {
        if (actual !== version.sha256) {
          throw new Error(`its file ${path} does not match the sha256 it was registered with (expected ${version.sha256.slice(0, 12)}…, found ${actual.slice(0, 12)}…): it was changed or damaged; restore it, or register the model again`);
        }
        return OnnxModelRuntime.load(path, version.signature);
      })
      .then(async (runtime) => {
        // The first runs of a fresh session are slow (allocations, kernel selection); pay for them
        // here so a newly deployed canary is not judged on its cold start.
        for (let i = 0; i < 3; i++) await this.probe(runtime, version.signature).catch(() => undefined);
        return this.batched(runtime, version);
      })
      .then(
      (runtime) => {
        this.loaded.set(key, runtime);
        this.failures.delete(key);
        this.log.info({ model: version.model, version: version.version, ms: Math.round(performance.now() - started) }, 'model version loaded');
        return runtime;
      },
      (err: unknown) => {
        this.loading.delete(key);
        const reason = cause(err);
        this.failures.set(key, reason);
        this.log.warn({ model: version.model, version: version.version, reason }, 'model version failed to load');
        throw new AppError('model_unavailable', `version ${version.version} of "${version.model}" cannot be loaded: ${reason}`);
      },
    );
    this.loading.set(key, promise);
    return promise;
  }

  private batched(runtime: ModelRuntime, version: ModelVersion): ModelRuntime {
    const { microBatchRows, onBatch } = this.opts;
    if (microBatchRows <= 0) return runtime;
    return new MicroBatchingRuntime(runtime, {
      maxRows: microBatchRows,
      turn: this.turn,
      ...(onBatch ? { onBatch: (rows: number, requests: number) => onBatch(version.model, version.version, rows, requests) } : {}),
    });
  }

  /** The loaded runtime, synchronously, for the hot path; undefined if not (yet) loaded. */
  get(model: string, version: number): ModelRuntime | undefined {
    return this.loaded.get(keyOf(model, version));
  }

  failure(model: string, version: number): string | undefined {
    return this.failures.get(keyOf(model, version));
  }

  /** Closes every loaded version of `model` that is not in `keep`. */
  async retain(model: string, keep: ReadonlySet<number>): Promise<void> {
    for (const [key, runtime] of this.loaded) {
      const [name, v] = key.split('@') as [string, string];
      if (name !== model || keep.has(Number(v))) continue;
      this.loaded.delete(key);
      this.loading.delete(key);
      await runtime.close();
    }
  }

  async closeAll(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    this.loading.clear();
    await Promise.all(all.map((r) => r.close()));
  }
}
