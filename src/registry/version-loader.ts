import type { ModelSignature, ModelVersion } from '../domain/index.js';

export interface AcceptedModel {
  /** The bytes to store: the upload, or its rewrite where one was needed (see signature.rewrites). */
  readonly bytes: Uint8Array;
  readonly signature: ModelSignature;
}

/**
 * What the registry needs from the data plane, so it never imports a runtime: reading an upload
 * (and proving that it really runs) before it is registered, and loading a version before it
 * may take traffic. `app/` wires the serving layer in.
 */
export interface VersionLoader {
  /** Reads the signature and scores a probe row; throws an AppError (invalid_model) if it cannot. */
  accept(bytes: Uint8Array): Promise<AcceptedModel>;
  /** Loads a registered version so it can serve; throws an AppError if it cannot. */
  ensureLoaded(version: ModelVersion): Promise<void>;
}
