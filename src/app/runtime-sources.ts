import type { ModelVersion } from '../domain/index.js';
import { UpstreamHttp } from '../runtime/index.js';
import { acceptOnnx, acceptUpstream, OnnxRuntimeFactory, RuntimePool, UpstreamRuntimeFactory, type PoolLogger, type RuntimePoolOptions } from '../serving/index.js';

export interface RuntimeSources {
  readonly pool: RuntimePool;
  /** The keep-alive connections to model servers; closed after the pool. */
  readonly upstreamHttp: UpstreamHttp;
}

/** Picks a runtime factory for every kind of version source: ONNX in-process, and the model-server protocols over one pooled HTTP client. */
export function runtimeSources(
  artifactPath: (artifact: string) => string,
  log: PoolLogger,
  opts: RuntimePoolOptions & { readonly upstreamTimeoutMs: number; readonly fetchArtifact?: (version: ModelVersion) => Promise<boolean> },
): RuntimeSources {
  const upstreamHttp = new UpstreamHttp();
  const upstream = new UpstreamRuntimeFactory(upstreamHttp, opts.upstreamTimeoutMs);
  const pool = new RuntimePool(
    { onnx: new OnnxRuntimeFactory(artifactPath, opts.fetchArtifact), 'open-inference': upstream, mlflow: upstream, 'tf-serving': upstream },
    { onnx: acceptOnnx, upstream: (request) => acceptUpstream(upstreamHttp, request) },
    log,
    opts,
  );
  return { pool, upstreamHttp };
}
