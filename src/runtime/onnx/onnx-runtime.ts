import * as ort from 'onnxruntime-node';
import type { FeatureRow, ModelSignature, Prediction } from '../../domain/index.js';
import { ModelOutputError, type ModelRuntime, type PredictOptions } from '../model-runtime.js';
import { openNativeSession, type NativeSession, type RunOutputs } from './native-session.js';

type NumericArray = Float32Array | Float64Array | BigInt64Array | Int32Array;

function numeric(tensor: RunOutputs[string], what: string, expectedLength: number): NumericArray {
  const data = tensor.data;
  if (typeof data === 'string' || Array.isArray(data) || !('length' in data) || data.length !== expectedLength) {
    throw new ModelOutputError(`${what} has shape [${tensor.dims.join(', ')}], expected ${expectedLength} values`);
  }
  return data as NumericArray;
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new ModelOutputError(`${what} returned ${value}`);
  return value;
}

export interface OnnxLoadOptions {
  /** Score through onnxruntime-node's synchronous native session (default); false: its public, promise-based API. */
  readonly native?: boolean;
}

/** A model version served in-process by onnxruntime-node. */
export class OnnxModelRuntime implements ModelRuntime {
  /** Set when the native session is in use: scoring needs no await. */
  readonly predictNow: ((rows: readonly FeatureRow[]) => Prediction[]) | undefined;
  /** The outputs to fetch, in the form the native session takes. */
  private readonly fetchNames: Record<string, null> = {};

  private constructor(
    private readonly session: { readonly native: NativeSession } | { readonly public: ort.InferenceSession },
    private readonly signature: ModelSignature,
    private readonly fetches: readonly string[],
  ) {
    for (const f of fetches) this.fetchNames[f] = null;
    if ('native' in session) {
      const native = session.native;
      this.predictNow = (rows) => this.runNative(native, rows);
    }
  }

  static async load(source: string | Uint8Array, signature: ModelSignature, load: OnnxLoadOptions = {}): Promise<OnnxModelRuntime> {
    // One intra-op thread: the example models are tiny and the HTTP server needs the other core;
    // spinning up a thread pool per call costs more than the matrix work itself.
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Micro-batching sends a different row count nearly every call; the memory-pattern planner
      // re-plans for each new shape (calls of 1-13 rows: 25 µs with it, 21 µs without).
      enableMemPattern: false,
    };
    const native = load.native === false ? null : await openNativeSession(source, options);
    const session = native
      ? { native }
      : { public: typeof source === 'string' ? await ort.InferenceSession.create(source, options) : await ort.InferenceSession.create(source, options) };
    const fetches = [signature.outputs.probabilities, signature.outputs.label, signature.outputs.value].filter(
      (n): n is string => n !== undefined,
    );
    return new OnnxModelRuntime(session, signature, fetches);
  }

  describe(): ModelSignature {
    return this.signature;
  }

  // No signal: onnxruntime cannot cancel a run, and the caller's deadline races the call anyway.
  async predict(rows: readonly FeatureRow[], _opts?: PredictOptions): Promise<Prediction[]> {
    if ('native' in this.session) return this.runNative(this.session.native, rows);
    const out = await this.session.public.run(this.feeds(rows), this.fetches as string[]);
    return this.decode(out, rows.length);
  }

  private runNative(native: NativeSession, rows: readonly FeatureRow[]): Prediction[] {
    return this.decode(native.run(this.feeds(rows), this.fetchNames, {}), rows.length);
  }

  private feeds(rows: readonly FeatureRow[]): Record<string, ort.Tensor> {
    const n = rows.length;
    const width = rows[0]?.length ?? 0;
    const data = this.signature.inputType === 'float64' ? new Float64Array(n * width) : new Float32Array(n * width);
    for (let i = 0; i < n; i++) data.set(rows[i]!, i * width);
    return { [this.signature.inputName]: new ort.Tensor(this.signature.inputType, data, [n, width]) };
  }

  private decode(out: RunOutputs, n: number): Prediction[] {
    const sig = this.signature;
    if (sig.task === 'regressor') {
      const values = numeric(out[sig.outputs.value!]!, `output ${sig.outputs.value}`, n);
      return Array.from({ length: n }, (_, i) => ({ prediction: finite(Number(values[i]), `output ${sig.outputs.value}`) }));
    }
    const classes = sig.classCount ?? 2;
    const single = out[sig.outputs.probabilities!]!.dims.length === 1 || out[sig.outputs.probabilities!]!.dims[1] === 1;
    const width = single ? 1 : classes;
    const probs = numeric(out[sig.outputs.probabilities!]!, `output ${sig.outputs.probabilities}`, n * width);
    const labelTensor = sig.outputs.label ? out[sig.outputs.label] : undefined;
    const labels = labelTensor ? labelTensor.data : undefined;
    const what = `output ${sig.outputs.probabilities}`;
    const result: Prediction[] = new Array<Prediction>(n);
    // Hot path (every prediction): no per-row arrays or messages unless they are the answer.
    for (let i = 0; i < n; i++) {
      const row: number[] = single ? [1 - Number(probs[i]), Number(probs[i])] : new Array<number>(width);
      if (!single) for (let c = 0; c < width; c++) row[c] = Number(probs[i * width + c]);
      let best = 0;
      for (let c = 0; c < row.length; c++) {
        const p = row[c]!;
        if (!(p >= -1e-6 && p <= 1 + 1e-6)) throw new ModelOutputError(Number.isFinite(p) ? `${what} returned ${p}, not a probability` : `${what} returned ${p}`);
        if (p > row[best]!) best = c;
      }
      const fromLabel = labels !== undefined ? labels[i] : undefined;
      const prediction =
        fromLabel !== undefined ? (typeof fromLabel === 'bigint' ? Number(fromLabel) : (fromLabel as number | string)) : (sig.classLabels?.[best] ?? best);
      result[i] = classes === 2 ? { prediction, probability: row[1]! } : { prediction, probabilities: row };
    }
    return result;
  }

  async close(): Promise<void> {
    if ('native' in this.session) this.session.native.dispose();
    else await this.session.public.release();
  }
}
