import type { FeatureRow, ModelSignature, Prediction, UpstreamProtocol } from '../../domain/index.js';
import type { ModelRuntime, PredictOptions } from '../model-runtime.js';
import { MlflowClient, TfServingClient } from './list-protocol-clients.js';
import { OpenInferenceClient } from './open-inference-client.js';
import type { ProtocolClient, UpstreamHints } from './protocol-client.js';
import type { UpstreamHttp } from './upstream-http.js';
import { parseUpstreamTarget, type UpstreamTarget } from './upstream-target.js';

export function protocolClient(http: UpstreamHttp, target: UpstreamTarget): ProtocolClient {
  switch (target.protocol) {
    case 'open-inference':
      return new OpenInferenceClient(http, target);
    case 'mlflow':
      return new MlflowClient(http, target);
    case 'tf-serving':
      return new TfServingClient(http, target);
  }
}

export interface DiscoveredUpstream {
  readonly protocol: UpstreamProtocol;
  readonly url: string;
  readonly signature: ModelSignature;
}

/** Checks an upstream before it is registered: it must be ready, and its signature readable. */
export async function discoverUpstream(http: UpstreamHttp, url: string, protocol: string | undefined, hints: UpstreamHints): Promise<DiscoveredUpstream> {
  const target = parseUpstreamTarget(url, protocol);
  const signature = await protocolClient(http, target).discover(hints);
  return { protocol: target.protocol, url: target.url, signature };
}

/**
 * A version served by a model server: each request's rows go upstream as one call, bounded by
 * the request's deadline and carrying its id. Not micro-batched across requests: the upstream
 * batches by itself (Triton's dynamic batcher, MLServer's adaptive batching), and one caller's
 * rejected input must not fail another's rows.
 */
export class UpstreamRuntime implements ModelRuntime {
  constructor(
    private readonly client: ProtocolClient,
    private readonly signature: ModelSignature,
    private readonly timeoutMs: number,
  ) {}

  // The signal is not read: reading it makes the deadline build an AbortController per call. The
  // caller's deadline rejects the wait; undici's own timeout (the same) frees the connection.
  predict(rows: readonly FeatureRow[], opts?: PredictOptions): Promise<Prediction[]> {
    return this.client.infer(rows, this.signature, { requestId: opts?.requestId, timeoutMs: this.timeoutMs });
  }

  /** null when ready; otherwise the reason, for status, the dashboard and the rollout's hold. */
  ready(): Promise<string | null> {
    return this.client.ready();
  }

  describe(): ModelSignature {
    return this.signature;
  }

  async close(): Promise<void> {
    // The pooled connections belong to the shared UpstreamHttp, closed with the pool.
  }
}
