import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { appError, type ModelSignature, type ModelVersion } from '../domain/index.js';
import type { AcceptedModel } from '../registry/index.js';
import { inspectOnnx, OnnxModelRuntime, probeRow, type ModelRuntime } from '../runtime/index.js';
import { errorCause, type RuntimeFactory } from './runtime-pool.js';

/** Streamed, so checking a large artifact does not hold the event loop. */
async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Scores two probe rows (zeros, falses, empty strings) so a graph that loads but fails at run time is refused at registration. */
async function probe(runtime: ModelRuntime, signature: ModelSignature): Promise<void> {
  if (signature.inputs.some((i) => i.width === null)) return;
  const row = probeRow(signature.inputs);
  try {
    await runtime.predict([row, row], { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw appError('invalid_model', `the graph loads but fails on a probe row (${JSON.stringify(row).slice(0, 120)}): ${errorCause(err)}`);
  }
}

/** Reads an upload, loads it in onnxruntime and scores a probe row; refuses what cannot serve. */
export async function acceptOnnx(bytes: Uint8Array): Promise<AcceptedModel> {
  const inspected = inspectOnnx(bytes);
  let runtime: ModelRuntime;
  try {
    runtime = await OnnxModelRuntime.load(inspected.bytes, inspected.signature);
  } catch (err) {
    throw appError('invalid_model', `onnxruntime cannot load this graph: ${errorCause(err)}`);
  }
  try {
    await probe(runtime, inspected.signature);
  } finally {
    await runtime.close();
  }
  return inspected;
}

/** ONNX versions: the file in the data directory, checked against its sha256, loaded in-process and warmed. */
export class OnnxRuntimeFactory implements RuntimeFactory {
  readonly batchable = true;

  constructor(
    private readonly artifactPath: (artifact: string) => string,
    /**
     * Fetches a file this replica does not have yet from the shared store (PostgreSQL) into the
     * data directory; resolves false when the store has none. Absent on SQLite.
     */
    private readonly fetchMissing?: (version: ModelVersion & { readonly source: { readonly kind: 'onnx' } }) => Promise<boolean>,
  ) {}

  async open(version: ModelVersion): Promise<ModelRuntime> {
    if (version.source.kind !== 'onnx') throw new Error(`version ${version.version} is not an ONNX file`);
    const { artifact, sha256 } = version.source;
    const path = this.artifactPath(artifact);
    // onnxruntime says only "File doesn't exist"; say which file and what to do.
    const present = await access(path).then(
      () => true,
      () => false,
    );
    if (!present && !(this.fetchMissing && (await this.fetchMissing(version as ModelVersion & { readonly source: { readonly kind: 'onnx' } })))) {
      throw new Error(`its file ${path} is missing (deleted or moved)${this.fetchMissing ? ', and the database has no copy' : ''}; restore it, or register the model again`);
    }
    // A file changed or damaged on disk would load and serve wrong answers: check it first.
    const actual = await sha256File(path);
    if (actual !== sha256) {
      throw new Error(`its file ${path} does not match the sha256 it was registered with (expected ${sha256.slice(0, 12)}…, found ${actual.slice(0, 12)}…): it was changed or damaged; restore it, or register the model again`);
    }
    const runtime = await OnnxModelRuntime.load(path, version.signature);
    // The first runs of a fresh session are slow (allocations, kernel selection); pay for them
    // here so a newly deployed canary is not judged on its cold start.
    for (let i = 0; i < 3; i++) await probe(runtime, version.signature).catch(() => undefined);
    return runtime;
  }
}
