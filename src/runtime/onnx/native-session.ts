import type * as ort from 'onnxruntime-node';

/** The outputs of one run, by name: what `decode` reads (a Tensor has both fields). */
export type RunOutputs = Record<string, { readonly data: ort.Tensor['data']; readonly dims: readonly number[] }>;

/** onnxruntime-node's synchronous session: the native object its promise-based session wraps. */
export interface NativeSession {
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, null>, options: Record<string, never>): RunOutputs;
  dispose(): void;
}

interface Binding {
  readonly binding: { readonly InferenceSession: new () => NativeSession & NativeLoader };
  readonly initOrt: () => void;
}

interface NativeLoader {
  loadModel(path: string, options: ort.InferenceSession.SessionOptions): void;
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: ort.InferenceSession.SessionOptions): void;
}

let binding: Promise<Binding | null> | undefined;

/**
 * onnxruntime-node's public `session.run()` checks its arguments, defers the native call to
 * setImmediate and wraps every output in a new Tensor; the native call itself is synchronous.
 * The micro-batcher already runs in a loop turn of its own, so it calls the native session
 * directly: one event-loop pass and a few microseconds less per model call (measured in
 * docs/benchmarks.md). The binding is onnxruntime-node's own typed module (dist/binding.d.ts), but
 * not its documented entry point: if a future version moves it, this returns null and coalmine
 * uses the public API, slower and otherwise the same.
 */
function loadBinding(): Promise<Binding | null> {
  binding ??= import('onnxruntime-node/dist/binding.js').then(
    (m: unknown) => {
      const b = (m as { default?: unknown }).default ?? m;
      const ok =
        typeof b === 'object' && b !== null && typeof (b as Binding).initOrt === 'function' && typeof (b as Binding).binding?.InferenceSession === 'function';
      return ok ? (b as Binding) : null;
    },
    () => null,
  );
  return binding;
}

/** A native session for the model, or null when onnxruntime-node's binding is not where expected. */
export async function openNativeSession(source: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<NativeSession | null> {
  const b = await loadBinding();
  if (b === null) return null;
  b.initOrt();
  const session = new b.binding.InferenceSession();
  if (typeof source === 'string') session.loadModel(source, options);
  else session.loadModel(source.buffer, source.byteOffset, source.byteLength, options);
  return session;
}
