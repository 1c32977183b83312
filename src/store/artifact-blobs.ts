/**
 * Where ONNX files live for replicas on other machines (PostgreSQL's `artifacts` table); each
 * replica keeps a local copy in its data directory, checked against the sha256 the version names.
 * The embedded SQLite shape has none: the data directory is the only copy.
 */
export interface ArtifactBlobs {
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  get(sha256: string): Promise<Uint8Array | undefined>;
}
