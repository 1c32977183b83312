import { inputValues, OIP_DATATYPES, type FeatureRow, type InputSpec, type InputType, type ModelSignature, type Prediction } from '../../domain/index.js';
import { ModelOutputError } from '../model-runtime.js';
import { assignOutputs, signatureOf, type OutputView } from '../output-roles.js';
import { predictionsFrom } from '../predictions-from-outputs.js';
import { failedCall, probeGet, unavailable, type InferCall, type ProtocolClient, type UpstreamHints } from './protocol-client.js';
import type { UpstreamHttp, UpstreamReply } from './upstream-http.js';
import type { UpstreamTarget } from './upstream-target.js';

const FROM_V2: Readonly<Record<string, InputType>> = Object.fromEntries(Object.entries(OIP_DATATYPES).map(([k, v]) => [v, k as InputType]));

export interface V2Tensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: unknown;
}

interface V2Metadata {
  readonly name?: unknown;
  readonly platform?: unknown;
  readonly inputs?: unknown;
  readonly outputs?: unknown;
}

interface V2TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

function tensorMetadata(raw: unknown, what: string, url: string): V2TensorMetadata[] {
  if (!Array.isArray(raw)) unavailable(url, `its metadata has no ${what} list`);
  return raw.map((t: unknown, i) => {
    const o = t as Partial<V2TensorMetadata> | null;
    if (!o || typeof o.name !== 'string' || typeof o.datatype !== 'string' || !Array.isArray(o.shape)) {
      unavailable(url, `its metadata's ${what}[${i}] is not {name, datatype, shape}`);
    }
    return { name: o.name, datatype: o.datatype, shape: o.shape.map(Number) };
  });
}

/** Flattens V2 `data`, which the protocol allows nested or flat, row-major; a tensor of coalmine's has at most 2 dimensions, so deeper nesting is left for the decoder to refuse. */
function flatData(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  return data.some(Array.isArray) ? (data.flat(1) as unknown[]) : data;
}

export function describeV2(t: V2TensorMetadata): string {
  return `${t.name}: ${t.datatype}[${t.shape.join(', ')}]`;
}

/** KServe V2 / Open Inference Protocol REST: Triton, MLServer, KServe, OpenVINO Model Server. */
export class OpenInferenceClient implements ProtocolClient {
  constructor(
    private readonly http: UpstreamHttp,
    private readonly target: UpstreamTarget,
  ) {}

  async ready(): Promise<string | null> {
    const server = `${this.target.origin}/v2/health/ready`;
    const model = `${this.target.url}/ready`;
    for (const url of [server, model]) {
      const reply = await probeGet(this.http, url);
      if (typeof reply === 'string') return reply;
      if (reply.status !== 200) return `GET ${url} answered ${reply.status}${reply.text ? ` (${reply.text.slice(0, 120)})` : ''}`;
    }
    return null;
  }

  async discover(hints: UpstreamHints): Promise<ModelSignature> {
    const url = this.target.url;
    const why = await this.ready();
    if (why !== null) unavailable(url, why);
    let reply: UpstreamReply;
    try {
      reply = await this.http.call({ method: 'GET', url, timeoutMs: 5_000 });
    } catch (err) {
      unavailable(url, `GET ${url} (model metadata): ${(err as Error).message}`);
    }
    if (reply.status !== 200 || typeof reply.json !== 'object' || reply.json === null) unavailable(url, `GET ${url} (model metadata) answered ${reply.status}`);
    const meta = reply.json as V2Metadata;
    const inputs: InputSpec[] = tensorMetadata(meta.inputs, 'inputs', url).map((t) => {
      const type = FROM_V2[t.datatype];
      if (type === undefined || (t.shape.length !== 1 && t.shape.length !== 2)) {
        unavailable(url, `input ${describeV2(t)} is not one coalmine can send: inputs must be ${Object.values(OIP_DATATYPES).join(', ')} of shape [-1] or [-1, k]`);
      }
      const k = t.shape[1];
      return { name: t.name, type, rank: t.shape.length === 1 ? 1 : 2, width: t.shape.length === 1 ? 1 : k !== undefined && k > 0 ? k : null };
    });
    const outputs = tensorMetadata(meta.outputs, 'outputs', url);
    const views: OutputView[] = outputs.map((o) => ({
      name: o.name,
      kind: o.datatype.startsWith('FP') ? 'float' : o.datatype === 'INT64' || o.datatype === 'INT32' || o.datatype === 'BYTES' ? 'label' : 'other',
      dims: o.shape.map((d) => (d < 0 ? 'N' : d)),
    }));
    let roles;
    try {
      roles = assignOutputs(views, hints.task, outputs.map(describeV2).join('; '));
    } catch (err) {
      unavailable(url, `its outputs are not ones coalmine can read: ${(err as Error).message}`);
    }
    const platform = typeof meta.platform === 'string' && meta.platform ? meta.platform : 'unknown platform';
    return signatureOf(roles, inputs, { opsets: {}, producer: `open-inference: ${platform}`, rewrites: [] });
  }

  async infer(rows: readonly FeatureRow[], sig: ModelSignature, call: InferCall): Promise<Prediction[]> {
    const n = rows.length;
    const inputs = sig.inputs.map((input) => {
      const width = inputValues(rows[0]!, input).length;
      const data = new Array<unknown>(n * width);
      for (let i = 0; i < n; i++) {
        const values = inputValues(rows[i]!, input);
        for (let j = 0; j < width; j++) data[i * width + j] = values[j];
      }
      return { name: input.name, datatype: OIP_DATATYPES[input.type], shape: input.rank === 1 ? [n] : [n, width], data };
    });
    const wanted = [sig.outputs.probabilities, sig.outputs.label, sig.outputs.value].filter((x): x is string => x !== undefined);
    const url = `${this.target.url}/infer`;
    const reply = await this.http.call({
      method: 'POST',
      url,
      body: { ...(call.requestId !== undefined ? { id: call.requestId } : {}), inputs, outputs: wanted.map((name) => ({ name })) },
      timeoutMs: call.timeoutMs,
      requestId: call.requestId,
    });
    if (reply.status !== 200) throw failedCall(url, reply);
    const outputs = (reply.json as { outputs?: unknown } | undefined)?.outputs;
    if (!Array.isArray(outputs)) throw new ModelOutputError(`${url} answered without an outputs list`);
    const byName = new Map<string, V2Tensor>();
    for (const o of outputs as V2Tensor[]) if (o && typeof o.name === 'string') byName.set(o.name, o);
    const get = (name: string | undefined) => {
      if (name === undefined) return undefined;
      const t = byName.get(name);
      if (!t) throw new ModelOutputError(`${url} answered without output "${name}" (got ${[...byName.keys()].join(', ') || 'none'})`);
      return t;
    };
    const probs = get(sig.outputs.probabilities);
    const labels = get(sig.outputs.label);
    const values = get(sig.outputs.value);
    const numbers = (t: V2Tensor) => flatData(t.data).map((v) => (typeof v === 'number' ? v : Number.NaN));
    return predictionsFrom(
      sig,
      n,
      {
        probabilities: probs && { data: numbers(probs), width: Array.isArray(probs.shape) && probs.shape.length === 2 ? Number(probs.shape[1]) : 1 },
        labels: labels && flatData(labels.data),
        values: values && numbers(values),
      },
      `${url} output ${sig.outputs.probabilities ?? sig.outputs.value ?? sig.outputs.label}`,
    );
  }
}
