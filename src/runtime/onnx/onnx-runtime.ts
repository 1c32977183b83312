import * as ort from 'onnxruntime-node';
import { inputValues, type FeatureRow, type InputSpec, type ModelSignature, type Prediction } from '../../domain/index.js';
import { ModelOutputError, type ModelRuntime, type PredictOptions, type SynchronousRuntime } from '../model-runtime.js';
import { predictionsFrom } from '../predictions-from-outputs.js';
import { openNativeSession, type NativeSession, type RunOutputs } from './native-session.js';

type NumericArray = Float32Array | Float64Array | BigInt64Array | Int32Array;

function numeric(tensor: RunOutputs[string], what: string): NumericArray {
  const data = tensor.data;
  if (typeof data === 'string' || Array.isArray(data) || !('length' in data)) {
    throw new ModelOutputError(`${what} has shape [${tensor.dims.join(', ')}] of non-numbers`);
  }
  return data as NumericArray;
}

/** One input's tensor for a batch of checked rows (serving/validate-rows.ts has seen every value). */
function tensorOf(input: InputSpec, rows: readonly FeatureRow[]): ort.Tensor {
  const n = rows.length;
  const width = inputValues(rows[0]!, input).length;
  const dims = input.rank === 1 ? [n] : [n, width];
  switch (input.type) {
    case 'float32':
    case 'float64': {
      const data = input.type === 'float64' ? new Float64Array(n * width) : new Float32Array(n * width);
      // The hot path (one float input, array rows): a typed-array copy per row, no conversions.
      for (let i = 0; i < n; i++) data.set(inputValues(rows[i]!, input) as readonly number[], i * width);
      return new ort.Tensor(input.type, data, dims);
    }
    case 'int32': {
      const data = new Int32Array(n * width);
      for (let i = 0; i < n; i++) data.set(inputValues(rows[i]!, input) as readonly number[], i * width);
      return new ort.Tensor('int32', data, dims);
    }
    case 'int64': {
      const data = new BigInt64Array(n * width);
      for (let i = 0; i < n; i++) {
        const values = inputValues(rows[i]!, input);
        for (let j = 0; j < width; j++) data[i * width + j] = BigInt(values[j] as number);
      }
      return new ort.Tensor('int64', data, dims);
    }
    case 'bool': {
      const data = new Uint8Array(n * width);
      for (let i = 0; i < n; i++) {
        const values = inputValues(rows[i]!, input);
        for (let j = 0; j < width; j++) data[i * width + j] = values[j] === true ? 1 : 0;
      }
      return new ort.Tensor('bool', data, dims);
    }
    case 'string': {
      const data = new Array<string>(n * width);
      for (let i = 0; i < n; i++) {
        const values = inputValues(rows[i]!, input);
        for (let j = 0; j < width; j++) data[i * width + j] = values[j] as string;
      }
      return new ort.Tensor('string', data, dims);
    }
  }
}

export interface OnnxLoadOptions {
  /** Score through onnxruntime-node's synchronous native session (default); false: its public, promise-based API. */
  readonly native?: boolean;
}

/**
 * A model version served in-process by onnxruntime-node. `load` gives the synchronous runtime
 * (the native session, `NativeOnnxRuntime`) unless told otherwise; this base class scores through
 * onnxruntime-node's public, promise-based API.
 */
export class OnnxModelRuntime implements ModelRuntime {
  /** The outputs to fetch, in the form the native session takes. */
  protected readonly fetchNames: Record<string, null> = {};

  protected constructor(
    private readonly session: { readonly native: NativeSession } | { readonly public: ort.InferenceSession },
    protected readonly signature: ModelSignature,
    private readonly fetches: readonly string[],
  ) {
    for (const f of fetches) this.fetchNames[f] = null;
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
    const fetches = [signature.outputs.probabilities, signature.outputs.label, signature.outputs.value].filter(
      (n): n is string => n !== undefined,
    );
    const native = load.native === false ? null : await openNativeSession(source, options);
    if (native) return new NativeOnnxRuntime(native, signature, fetches);
    const session = typeof source === 'string' ? await ort.InferenceSession.create(source, options) : await ort.InferenceSession.create(source, options);
    return new OnnxModelRuntime({ public: session }, signature, fetches);
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

  protected runNative(native: NativeSession, rows: readonly FeatureRow[]): Prediction[] {
    return this.decode(native.run(this.feeds(rows), this.fetchNames, {}), rows.length);
  }

  private feeds(rows: readonly FeatureRow[]): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const input of this.signature.inputs) feeds[input.name] = tensorOf(input, rows);
    return feeds;
  }

  private decode(out: RunOutputs, n: number): Prediction[] {
    const { probabilities, label, value } = this.signature.outputs;
    const probs = probabilities !== undefined ? out[probabilities] : undefined;
    return predictionsFrom(
      this.signature,
      n,
      {
        probabilities: probs && { data: numeric(probs, `output ${probabilities}`), width: probs.dims.length === 1 ? 1 : probs.dims[1]! },
        labels: label !== undefined ? (out[label]?.data as ArrayLike<unknown> | undefined) : undefined,
        values: value !== undefined && out[value] ? numeric(out[value], `output ${value}`) : undefined,
      },
      `output ${probabilities ?? value}`,
    );
  }

  async close(): Promise<void> {
    if ('native' in this.session) this.session.native.dispose();
    else await this.session.public.release();
  }
}

/** The native session: scoring needs no await, so the micro-batcher scores it in its own turn. */
export class NativeOnnxRuntime extends OnnxModelRuntime implements SynchronousRuntime {
  constructor(
    private readonly native: NativeSession,
    signature: ModelSignature,
    fetches: readonly string[],
  ) {
    super({ native }, signature, fetches);
  }

  predictNow(rows: readonly FeatureRow[]): Prediction[] {
    return this.runNative(this.native, rows);
  }
}
