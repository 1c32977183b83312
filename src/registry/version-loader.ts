import type { InputSpec, ModelSignature, ModelVersion, UpstreamSource } from '../domain/index.js';

export interface AcceptedModel {
  /** The bytes to store: the upload, or its rewrite where one was needed (see signature.rewrites). */
  readonly bytes: Uint8Array;
  readonly signature: ModelSignature;
}

/** A model server to put a version in front of, as the operator named it. */
export interface UpstreamRequest {
  readonly url: string;
  /** Inferred from the URL's shape when absent. */
  readonly protocol?: string | undefined;
  /** What the server does not publish itself (MLflow, TF Serving): its inputs, and what a bare number means. */
  readonly hints: {
    readonly features?: number | undefined;
    readonly inputs?: readonly InputSpec[] | undefined;
    readonly task?: 'classifier' | 'regressor' | undefined;
  };
}

export interface AcceptedUpstream {
  readonly source: UpstreamSource;
  readonly signature: ModelSignature;
}

/**
 * What the registry needs from the data plane, so it never imports a runtime: reading an upload
 * or a model server (and proving that it really answers) before it is registered, and loading a
 * version before it may take traffic. `app/` wires the serving layer in.
 */
export interface VersionLoader {
  /** Reads the signature and scores a probe row; throws an AppError (invalid_model) if it cannot. */
  accept(bytes: Uint8Array): Promise<AcceptedModel>;
  /** Checks the server's readiness and reads its signature; throws an AppError (upstream_unavailable) if it cannot. */
  acceptUpstream(request: UpstreamRequest): Promise<AcceptedUpstream>;
  /** Loads a registered version so it can serve; throws an AppError if it cannot. */
  ensureLoaded(version: ModelVersion): Promise<void>;
}
