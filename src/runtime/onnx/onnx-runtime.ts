import * as ort from 'onnxruntime-node';
import type { FeatureRow, ModelSignature, Prediction } from '../../domain/index.js';
import { ModelOutputError, type ModelRuntime, type PredictOptions } from '../model-runtime.js';

type NumericArray = Float32Array | Float64Array | BigInt64Array | Int32Array;

function numeric(tensor: ort.Tensor, what: string, expectedLength: number): NumericArray {
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

/** A model version served in-process by onnxruntime-node. */
export class OnnxModelRuntime implements ModelRuntime {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly signature: ModelSignature,
    private readonly fetches: readonly string[],
  ) {}

  static async load(source: string | Uint8Array, signature: ModelSignature): Promise<OnnxModelRuntime> {
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
    const session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, options)
        : await ort.InferenceSession.create(source, options);
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
    const n = rows.length;
    const width = rows[0]?.length ?? 0;
    const data = this.signature.inputType === 'float64' ? new Float64Array(n * width) : new Float32Array(n * width);
    for (let i = 0; i < n; i++) data.set(rows[i]!, i * width);
    const input = new ort.Tensor(this.signature.inputType, data, [n, width]);
    const out = await this.session.run({ [this.signature.inputName]: input }, this.fetches as string[]);
    return this.decode(out, n);
  }

  private decode(out: ort.InferenceSession.OnnxValueMapType, n: number): Prediction[] {
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
    const result: Prediction[] = new Array<Prediction>(n);
    for (let i = 0; i < n; i++) {
      const row = single ? [1 - Number(probs[i]), Number(probs[i])] : Array.from(probs.subarray(i * width, (i + 1) * width), Number);
      let best = 0;
      for (let c = 0; c < row.length; c++) {
        const p = finite(row[c]!, `output ${sig.outputs.probabilities}`);
        if (p < -1e-6 || p > 1 + 1e-6) throw new ModelOutputError(`output ${sig.outputs.probabilities} returned ${p}, not a probability`);
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
    await this.session.release();
  }
}
