import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { appError, INPUT_TYPES, parseEndpoint, UPSTREAM_PROTOCOLS, type InputSpec } from '../domain/index.js';
import type { RegisterInput, UpstreamRequest } from '../registry/index.js';

const InputDecl = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.Union(INPUT_TYPES.map((t) => Type.Literal(t))),
    /** As the Open Inference Protocol writes it: [-1] or [-1, k], -1 for the batch (or an unknown width). */
    shape: Type.Array(Type.Integer({ minimum: -1, maximum: 1_000_000 }), { minItems: 1, maxItems: 2 }),
  },
  { additionalProperties: false },
);

/** `POST /v1/models/{name}/versions` with a JSON body: a version that a model server serves. */
export const UpstreamRegisterBody = Type.Object(
  {
    upstream: Type.Object(
      {
        url: Type.String({ minLength: 1, maxLength: 2048 }),
        protocol: Type.Optional(Type.Union(UPSTREAM_PROTOCOLS.map((p) => Type.Literal(p)))),
        features: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
        inputs: Type.Optional(Type.Array(InputDecl, { minItems: 1, maxItems: 1000 })),
        task: Type.Optional(Type.Union([Type.Literal('classifier'), Type.Literal('regressor')])),
      },
      { additionalProperties: false },
    ),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    source: Type.Optional(Type.String({ maxLength: 2000 })),
    metrics: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.-]{0,63}$' }), Type.Number(), { maxProperties: 50 })),
    endpoint: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
type UpstreamRegisterBody = Static<typeof UpstreamRegisterBody>;

const check = Compile(UpstreamRegisterBody);

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message: string;
}

function explain(all: readonly SchemaError[]): string {
  // TypeBox reports an unknown field twice: "schema is false" at the field, then additionalProperties at its object.
  const errors = all.some((e) => e.keyword === 'additionalProperties') ? all.filter((e) => e.keyword !== 'boolean') : all;
  const first = errors[0]!;
  const where = first.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'the body';
  if (first.keyword === 'additionalProperties') return `${where} has unknown field(s) ${((first.params.additionalProperties as string[] | undefined) ?? []).join(', ')}`;
  if (first.keyword === 'required') return `${where === 'the body' ? '' : `${where}.`}${String((first.params.requiredProperties as string[] | undefined)?.[0])} is required`;
  if (first.keyword === 'const') {
    const allowed = errors.filter((e) => e.instancePath === first.instancePath && e.keyword === 'const').map((e) => String(e.params.allowedValue));
    return `${where} must be one of ${allowed.join(', ')}`;
  }
  return `${where} ${first.message}`;
}

function inputSpec(d: Static<typeof InputDecl>, i: number): InputSpec {
  const [batch, width] = d.shape;
  if (batch !== -1) throw appError('invalid_request', `upstream.inputs[${i}].shape must start with -1 (the batch), got [${d.shape.join(', ')}]`);
  if (width !== undefined && width === 0) throw appError('invalid_request', `upstream.inputs[${i}].shape has a width of 0`);
  return { name: d.name, type: d.type, rank: width === undefined ? 1 : 2, width: width === undefined ? 1 : width === -1 ? null : width };
}

/** Reads and checks the JSON registration of an upstream version; a 400 names the field to fix. */
export function parseUpstreamRegistration(body: unknown): { request: UpstreamRequest; input: RegisterInput } {
  const example = '{"upstream": {"url": "http://host:8000/v2/models/churn"}, "description": "…"}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw appError('invalid_request', `send an ONNX file (Content-Type: application/octet-stream) or a model server as JSON: ${example}`);
  }
  if (!('upstream' in body)) {
    throw appError('unsupported_media_type', `a JSON body registers a model server and needs "upstream": ${example}; to upload an ONNX file send it as the raw body with Content-Type: application/octet-stream (e.g. curl --data-binary @model.onnx)`);
  }
  if (!check.Check(body)) throw appError('invalid_request', explain([...check.Errors(body)] as SchemaError[]));
  const b = body as UpstreamRegisterBody;
  const names = new Set<string>();
  const inputs = b.upstream.inputs?.map((d, i) => {
    if (names.has(d.name)) throw appError('invalid_request', `upstream.inputs names "${d.name}" twice`);
    names.add(d.name);
    return inputSpec(d, i);
  });
  if (inputs && b.upstream.features !== undefined) throw appError('invalid_request', 'give upstream.features or upstream.inputs, not both');
  for (const [k, v] of Object.entries(b.metrics ?? {})) if (!Number.isFinite(v)) throw appError('invalid_request', `metrics.${k} must be a finite number`);
  return {
    request: { url: b.upstream.url, protocol: b.upstream.protocol, hints: { features: b.upstream.features, inputs, task: b.upstream.task } },
    input: { description: b.description, source: b.source, metrics: b.metrics, ...(b.endpoint !== undefined ? { endpoint: parseEndpoint(b.endpoint) } : {}) },
  };
}
