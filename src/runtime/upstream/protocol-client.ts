import { appError, type FeatureRow, type InputScalar, type InputSpec, type ModelSignature, type Prediction } from '../../domain/index.js';
import type { UpstreamHttp, UpstreamReply } from './upstream-http.js';

/** What an operator may tell coalmine about a server that publishes no signature (MLflow, TF Serving). */
export interface UpstreamHints {
  /** Values per row of a single float input. */
  readonly features?: number | undefined;
  /** Named inputs, when the server takes named columns. */
  readonly inputs?: readonly InputSpec[] | undefined;
  readonly task?: 'classifier' | 'regressor' | undefined;
}

export interface InferCall {
  readonly requestId?: string | undefined;
  /** The prediction deadline; the caller's deadline also cuts the wait, this frees the connection. */
  readonly timeoutMs: number;
}

/** One protocol's way to check, describe and call a model server. */
export interface ProtocolClient {
  /** null when the server and the model are ready; otherwise what was tried and what answered. */
  ready(): Promise<string | null>;
  /** Reads the signature from the server's metadata, or from the hints and a probe call. */
  discover(hints: UpstreamHints): Promise<ModelSignature>;
  infer(rows: readonly FeatureRow[], signature: ModelSignature, call: InferCall): Promise<Prediction[]>;
}

/**
 * The upstream refused the caller's input (400, 413, 415, 422): the caller gets a 400 with the
 * upstream's message, and the version is not blamed for it.
 */
export class UpstreamRejectedError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamRejectedError';
  }
}

const CALLER_STATUSES = new Set([400, 413, 415, 422]);

/** The error message a model server put in its answer: `{"error": "…"}` (OIP, TF Serving, KServe), `{"message": …}` (MLflow), or the text. */
export function upstreamMessage(reply: UpstreamReply): string {
  const body = reply.json;
  if (typeof body === 'object' && body !== null) {
    const o = body as Record<string, unknown>;
    for (const key of ['error', 'message', 'detail']) {
      if (typeof o[key] === 'string') return (o[key] as string).slice(0, 400);
    }
  }
  return reply.text || `status ${reply.status}`;
}

/**
 * Sorts a non-2xx answer: the caller's bad input is an UpstreamRejectedError; anything else
 * (5xx, 404 for an unloaded model, 401, 429) is the version's failure, so stable answers instead.
 */
export function failedCall(url: string, reply: UpstreamReply): Error {
  const message = upstreamMessage(reply);
  if (CALLER_STATUSES.has(reply.status)) return new UpstreamRejectedError(reply.status, `the model server refused the input (${reply.status}): ${message}`);
  return new Error(`${url} answered ${reply.status}: ${message}`);
}

/** A health or status read: the answer, or (when the server could not be reached) what was tried and why it failed. */
export async function probeGet(http: UpstreamHttp, url: string): Promise<UpstreamReply | string> {
  try {
    return await http.call({ method: 'GET', url, timeoutMs: 3_000 });
  } catch (err) {
    return `GET ${url}: ${(err as Error).message.replace(`${url}: `, '')}`;
  }
}

export function unavailable(url: string, tried: string): never {
  throw appError('upstream_unavailable', `${url} is not ready to serve: ${tried}; nothing was registered. Check that the model server runs, that the model is loaded, and that coalmine can reach it`);
}

/** A row of zeros, falses and empty strings, for a probe call. */
export function probeRow(inputs: readonly InputSpec[]): FeatureRow {
  const zero = (i: InputSpec): InputScalar => (i.type === 'string' ? '' : i.type === 'bool' ? false : 0);
  if (inputs.length === 1 && inputs[0]!.rank === 2) return new Array<InputScalar>(inputs[0]!.width ?? 1).fill(zero(inputs[0]!));
  const row: Record<string, unknown> = {};
  for (const i of inputs) row[i.name] = i.rank === 2 && (i.width ?? 1) > 1 ? new Array<InputScalar>(i.width ?? 1).fill(zero(i)) : zero(i);
  return row as FeatureRow;
}

/** The inputs of a server that publishes none: the operator's named inputs, or one float input of `features` values. */
export function hintedInputs(url: string, hints: UpstreamHints, unpublished = 'it publishes no signature'): InputSpec[] {
  if (hints.inputs && hints.inputs.length > 0) return [...hints.inputs];
  if (hints.features !== undefined) return [{ name: 'input', type: 'float64', rank: 2, width: hints.features }];
  throw appError(
    'invalid_request',
    `${url}: ${unpublished}, so coalmine cannot tell what it takes: give the number of features (--features N, or "features": N in "upstream") or its named inputs ("inputs": [{"name", "type", "shape"}])`,
  );
}
