import { appError, describeInput, inputValues, type FeatureRow, type InputSpec, type ModelSignature, type Prediction } from '../../domain/index.js';
import { decodeList, rolesFromSample } from './list-predictions.js';
import { failedCall, hintedInputs, probeGet, probeRow, unavailable, upstreamMessage, type InferCall, type ProtocolClient, type UpstreamHints } from './protocol-client.js';
import type { UpstreamHttp, UpstreamReply } from './upstream-http.js';
import type { UpstreamTarget } from './upstream-target.js';
import { inputsFromTfMetadata } from './tf-serving-metadata.js';

/** The `predictions` of an answer; MLflow 1.x answered with the bare list. */
function predictionsOf(reply: UpstreamReply): unknown {
  const body = reply.json;
  if (Array.isArray(body)) return body;
  return typeof body === 'object' && body !== null ? (body as { predictions?: unknown }).predictions : undefined;
}

/**
 * The servers that publish no signature and answer a `predictions` list. They share discovery
 * (the operator's hints, then a probe row whose answer shows the outputs) and decoding; each
 * protocol says how to check readiness and how to encode rows.
 */
abstract class ListProtocolClient implements ProtocolClient {
  constructor(
    protected readonly http: UpstreamHttp,
    protected readonly target: UpstreamTarget,
  ) {}

  protected abstract readonly producer: string;
  protected abstract readonly inferUrl: string;
  protected abstract encode(rows: readonly FeatureRow[], inputs: readonly InputSpec[]): unknown;
  abstract ready(): Promise<string | null>;

  /** The inputs the server publishes, or why it publishes none usable (null: the protocol has no such read). */
  protected publishedInputs(): Promise<InputSpec[] | string | null> {
    return Promise.resolve(null);
  }

  async discover(hints: UpstreamHints): Promise<ModelSignature> {
    const why = await this.ready();
    if (why !== null) unavailable(this.target.url, why);
    const inputs = await this.inputs(hints);
    let reply: UpstreamReply;
    try {
      reply = await this.http.call({ method: 'POST', url: this.inferUrl, body: this.encode([probeRow(inputs)], inputs), timeoutMs: 10_000 });
    } catch (err) {
      unavailable(this.target.url, `the probe call POST ${this.inferUrl} failed: ${(err as Error).message}`);
    }
    if (reply.status !== 200) {
      throw appError('upstream_unavailable', `${this.inferUrl} refused a probe row of ${inputs.map(describeInput).join(', ')} (${reply.status}: ${upstreamMessage(reply)}); check --features or the inputs; nothing was registered`);
    }
    const predictions = predictionsOf(reply);
    if (!Array.isArray(predictions) || predictions.length !== 1) unavailable(this.target.url, `the probe call answered ${reply.text.slice(0, 120)}, not {"predictions": [one item]}`);
    let roles;
    try {
      roles = rolesFromSample(predictions[0], hints.task, this.inferUrl);
    } catch (err) {
      throw appError('upstream_unavailable', `${(err as Error).message}; nothing was registered`);
    }
    return { ...roles, inputs, opsets: {}, producer: this.producer, rewrites: [] };
  }

  /** The operator's hints win; otherwise what the server publishes, with fixed widths, since a probe row needs them. */
  private async inputs(hints: UpstreamHints): Promise<InputSpec[]> {
    if (hints.features !== undefined || (hints.inputs && hints.inputs.length > 0)) return hintedInputs(this.target.url, hints);
    const published = await this.publishedInputs();
    if (Array.isArray(published)) {
      const open = published.find((i) => i.width === null);
      if (open === undefined) return published;
      return hintedInputs(this.target.url, hints, `its metadata leaves the width of input "${open.name}" open`);
    }
    return hintedInputs(this.target.url, hints, published ?? undefined);
  }

  async infer(rows: readonly FeatureRow[], sig: ModelSignature, call: InferCall): Promise<Prediction[]> {
    const reply = await this.http.call({ method: 'POST', url: this.inferUrl, body: this.encode(rows, sig.inputs), timeoutMs: call.timeoutMs, requestId: call.requestId });
    if (reply.status !== 200) throw failedCall(this.inferUrl, reply);
    return decodeList(sig, rows.length, predictionsOf(reply), this.inferUrl);
  }
}

/** MLflow's scoring server (`mlflow models serve`): GET /ping, POST /invocations. */
export class MlflowClient extends ListProtocolClient {
  protected readonly producer = 'mlflow scoring server';
  protected readonly inferUrl = `${this.target.origin}/invocations`;

  async ready(): Promise<string | null> {
    const url = `${this.target.origin}/ping`;
    const reply = await probeGet(this.http, url);
    if (typeof reply === 'string') return reply;
    return reply.status === 200 ? null : `GET ${url} answered ${reply.status}`;
  }

  /**
   * One input goes as a tensor, `{"inputs": rows}`; named inputs of one value each as a pandas
   * frame, `{"dataframe_split": {columns, data}}`, which column-signature models expect; named
   * inputs of several values each as `{"inputs": {name: rows}}`.
   */
  protected encode(rows: readonly FeatureRow[], inputs: readonly InputSpec[]): unknown {
    if (inputs.length === 1) return { inputs: rows.map((r) => inputValues(r, inputs[0]!)) };
    if (inputs.every((i) => i.width === 1)) {
      return { dataframe_split: { columns: inputs.map((i) => i.name), data: rows.map((r) => inputs.map((i) => inputValues(r, i)[0])) } };
    }
    return { inputs: Object.fromEntries(inputs.map((i) => [i.name, rows.map((r) => (i.width === 1 ? inputValues(r, i)[0] : inputValues(r, i)))])) };
  }
}

/** TF Serving's REST API, and KServe V1: GET /v1/models/<m>, POST /v1/models/<m>:predict. */
export class TfServingClient extends ListProtocolClient {
  protected readonly producer = 'tf-serving';
  protected readonly inferUrl = `${this.target.url}:predict`;

  async ready(): Promise<string | null> {
    const url = this.target.url;
    const reply = await probeGet(this.http, url);
    if (typeof reply === 'string') return reply;
    if (reply.status !== 200) return `GET ${url} answered ${reply.status}`;
    const body = reply.json as { ready?: unknown; model_version_status?: unknown } | undefined;
    // KServe V1 answers {"name", "ready": true}; TF Serving lists each version's state.
    if (body && typeof body.ready === 'boolean') return body.ready ? null : `GET ${url} says ready: false`;
    const states = Array.isArray(body?.model_version_status) ? (body.model_version_status as { state?: unknown; version?: unknown }[]) : [];
    const wanted = this.target.version;
    const serving = states.filter((s) => s.state === 'AVAILABLE' && (wanted === null || String(s.version) === wanted));
    if (serving.length > 0) return null;
    return `GET ${url} lists no AVAILABLE version${wanted ? ` ${wanted}` : ''} (states: ${states.map((s) => `${String(s.version)} ${String(s.state)}`).join(', ') || 'none'})`;
  }

  /**
   * TF Serving publishes its SignatureDef at `…/metadata`; KServe V1 servers do not (a 404), and
   * then the operator's hints are needed.
   */
  protected override async publishedInputs(): Promise<InputSpec[] | string> {
    const url = `${this.target.url}/metadata`;
    const reply = await probeGet(this.http, url);
    if (typeof reply === 'string') return reply;
    if (reply.status !== 200) return `GET ${url} answered ${reply.status}`;
    const inputs = inputsFromTfMetadata(reply.json);
    return typeof inputs === 'string' ? `GET ${url}: ${inputs}` : inputs;
  }

  /** The row format: `{"instances": [...]}`, arrays for one input, objects keyed by input name otherwise. */
  protected encode(rows: readonly FeatureRow[], inputs: readonly InputSpec[]): unknown {
    if (inputs.length === 1) return { instances: rows.map((r) => inputValues(r, inputs[0]!)) };
    return { instances: rows.map((r) => Object.fromEntries(inputs.map((i) => [i.name, i.width === 1 ? inputValues(r, i)[0] : inputValues(r, i)]))) };
  }
}
