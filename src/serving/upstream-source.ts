import { isUpstream, type ModelVersion } from '../domain/index.js';
import type { AcceptedUpstream, UpstreamRequest } from '../registry/index.js';
import { discoverUpstream, parseUpstreamTarget, protocolClient, UpstreamRuntime, type ModelRuntime, type UpstreamHttp } from '../runtime/index.js';
import type { RuntimeFactory } from './runtime-pool.js';

/** Checks a model server before it becomes a version: ready, and a signature coalmine can serve. */
export async function acceptUpstream(http: UpstreamHttp, request: UpstreamRequest): Promise<AcceptedUpstream> {
  const found = await discoverUpstream(http, request.url, request.protocol, request.hints);
  return { source: { kind: found.protocol, url: found.url }, signature: found.signature };
}

/** Versions served by a model server: a client for its protocol over the shared keep-alive pool. */
export class UpstreamRuntimeFactory implements RuntimeFactory {
  readonly batchable = false;

  constructor(
    private readonly http: UpstreamHttp,
    /** Each call's deadline (COALMINE_PREDICT_TIMEOUT_MS). */
    private readonly timeoutMs: number,
  ) {}

  async open(version: ModelVersion): Promise<ModelRuntime> {
    if (!isUpstream(version.source)) throw new Error(`version ${version.version} is not served by a model server`);
    const runtime = new UpstreamRuntime(protocolClient(this.http, parseUpstreamTarget(version.source.url, version.source.kind)), version.signature, this.timeoutMs);
    const why = await runtime.ready();
    if (why !== null) throw new Error(`its model server is not ready: ${why}`);
    return runtime;
  }

  ready(runtime: ModelRuntime): Promise<string | null> {
    return runtime instanceof UpstreamRuntime ? runtime.ready() : Promise.resolve(null);
  }
}
