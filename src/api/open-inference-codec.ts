import { Type, type Static } from 'typebox';
import { appError, OIP_DATATYPES, type FeatureRow, type InputScalar, type InputSpec, type InputType, type ModelSignature, type ModelVersion, type Prediction } from '../domain/index.js';

/**
 * The Open Inference Protocol (KServe V2 REST) as coalmine speaks it, so tritonclient, KServe's
 * and MLServer's clients can call coalmine unchanged. Written against the protocol's
 * specification; the runtime's V2 client (runtime/upstream) is the other side of the same wire.
 */

/** V2 datatypes a JSON value of each input type may arrive as (a client may send FP64 for a float32 input). */
const ACCEPTED: Readonly<Record<InputType, readonly string[]>> = {
  float32: ['FP32', 'FP64', 'FP16'],
  float64: ['FP64', 'FP32'],
  int32: ['INT32', 'INT64', 'INT16', 'INT8', 'UINT8', 'UINT16'],
  int64: ['INT64', 'INT32', 'INT16', 'INT8', 'UINT8', 'UINT16', 'UINT32'],
  bool: ['BOOL'],
  string: ['BYTES'],
};

const Params = Type.Record(Type.String({ maxLength: 200 }), Type.Unknown(), { maxProperties: 100 });

export const V2InferBody = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 256 })),
    parameters: Type.Optional(Params),
    inputs: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 200 }),
          shape: Type.Array(Type.Integer({ minimum: 0, maximum: 1_000_000 }), { minItems: 1, maxItems: 8 }),
          datatype: Type.String({ maxLength: 20 }),
          parameters: Type.Optional(Params),
          data: Type.Unknown(),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 1000 },
    ),
    outputs: Type.Optional(Type.Array(Type.Object({ name: Type.String({ maxLength: 200 }), parameters: Type.Optional(Params) }, { additionalProperties: false }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type V2InferBody = Static<typeof V2InferBody>;

// data items are not a union: fast-json-stringify would test each item against every member.
const V2Tensor = Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()), data: Type.Array(Type.Unknown(), { description: 'numbers; strings for BYTES' }) });
const V2TensorMetadata = Type.Object({ name: Type.String(), datatype: Type.String(), shape: Type.Array(Type.Integer()) });

export const V2InferReply = Type.Object({
  model_name: Type.String(),
  model_version: Type.String(),
  id: Type.Optional(Type.String()),
  parameters: Type.Object({ coalmine_variant: Type.String(), coalmine_request_id: Type.String(), coalmine_fallback: Type.Boolean() }),
  outputs: Type.Array(V2Tensor),
});
export const V2ModelMetadata = Type.Object({
  name: Type.String(),
  versions: Type.Array(Type.String()),
  platform: Type.String(),
  inputs: Type.Array(V2TensorMetadata),
  outputs: Type.Array(V2TensorMetadata),
});
export const V2ServerMetadata = Type.Object({ name: Type.String(), version: Type.String(), extensions: Type.Array(Type.String()) });
export const V2Error = Type.Object({ error: Type.String() });

function bad(message: string): never {
  throw appError('invalid_features', message);
}

/** Flat or nested row-major data, nested at most as deep as the shape (a deeper one could overflow the stack). */
function flat(data: unknown, name: string, rank: number): unknown[] {
  if (!Array.isArray(data)) bad(`input "${name}": data must be an array (flat, row-major, or nested)`);
  const values = data.some(Array.isArray) ? (data.flat(rank - 1) as unknown[]) : data;
  if (values.some(Array.isArray)) bad(`input "${name}": data is nested deeper than its shape of ${rank} dimension${rank > 1 ? 's' : ''}`);
  return values;
}

/** V2 inputs → coalmine rows, checked against the served model's inputs: names, datatypes, shapes. */
export function rowsFromV2(body: V2InferBody, signature: ModelSignature, model: string): FeatureRow[] {
  const specs = new Map(signature.inputs.map((i) => [i.name, i]));
  let n = -1;
  const columns: { spec: InputSpec; width: number; values: unknown[] }[] = [];
  for (const t of body.inputs) {
    const spec = specs.get(t.name);
    if (!spec) bad(`model "${model}" has no input "${t.name}"; its inputs are ${signature.inputs.map((i) => `${i.name} (${OIP_DATATYPES[i.type]})`).join(', ')}`);
    if (columns.some((c) => c.spec === spec)) bad(`input "${t.name}" is sent twice`);
    if (!ACCEPTED[spec.type].includes(t.datatype)) bad(`input "${t.name}" has datatype ${t.datatype}; model "${model}" takes ${OIP_DATATYPES[spec.type]}`);
    if (t.shape.length > 2) bad(`input "${t.name}" has shape [${t.shape.join(', ')}]; coalmine takes [N] or [N, k]`);
    const rows = t.shape[0]!;
    const width = t.shape[1] ?? 1;
    if (n !== -1 && rows !== n) bad(`input "${t.name}" has ${rows} rows, another input ${n}; every input needs the same batch size`);
    n = rows;
    const values = flat(t.data, t.name, t.shape.length);
    if (values.length !== rows * width) bad(`input "${t.name}" has ${values.length} values for shape [${t.shape.join(', ')}] (${rows * width} expected)`);
    columns.push({ spec, width, values });
  }
  const missing = signature.inputs.filter((i) => !columns.some((c) => c.spec === i));
  if (missing.length > 0) bad(`missing input${missing.length > 1 ? 's' : ''} ${missing.map((i) => `"${i.name}" (${OIP_DATATYPES[i.type]})`).join(', ')} of model "${model}"`);
  if (n === 0) bad('the inputs hold no rows');
  const single = signature.inputs.length === 1;
  const rows: FeatureRow[] = new Array<FeatureRow>(n);
  for (let r = 0; r < n; r++) {
    if (single) {
      const c = columns[0]!;
      rows[r] = c.values.slice(r * c.width, (r + 1) * c.width) as InputScalar[];
      continue;
    }
    const row: Record<string, InputScalar | InputScalar[]> = {};
    for (const c of columns) row[c.spec.name] = c.spec.width === 1 && c.width === 1 ? (c.values[r] as InputScalar) : (c.values.slice(r * c.width, (r + 1) * c.width) as InputScalar[]);
    rows[r] = row;
  }
  return rows;
}

interface OutputLayout {
  readonly name: string;
  readonly datatype: string;
  readonly shape: (n: number) => number[];
  readonly data: (p: readonly Prediction[]) => (number | string)[];
}

/**
 * The outputs a model answers with, named as its stable version names them, so a client's
 * `as_numpy("output_probability")` keeps working whichever version served: a classifier's label
 * and per-class probabilities [N, C] (binary: [N, 2]); a regressor's value [N, 1].
 */
const layouts = new WeakMap<ModelSignature, WeakMap<ModelSignature, OutputLayout[]>>();

/** The layout for a pair of signatures, made once: signatures live as long as their versions. */
function layout(face: ModelSignature, served: ModelSignature): OutputLayout[] {
  let byServed = layouts.get(face);
  if (!byServed) layouts.set(face, (byServed = new WeakMap()));
  let found = byServed.get(served);
  if (!found) byServed.set(served, (found = makeLayout(face, served)));
  return found;
}

function makeLayout(face: ModelSignature, served: ModelSignature): OutputLayout[] {
  const names = face.task === served.task ? face.outputs : served.outputs;
  if (served.task === 'regressor') {
    return [{ name: names.value ?? 'value', datatype: 'FP64', shape: (n) => [n, 1], data: (p) => p.map((x) => Number(x.prediction)) }];
  }
  const classes = served.classCount ?? 2;
  const labels: OutputLayout = {
    name: names.label ?? 'label',
    datatype: 'INT64',
    shape: (n) => [n],
    data: (p) => p.map((x) => x.prediction),
  };
  const probs: OutputLayout = {
    name: names.probabilities ?? 'probabilities',
    datatype: 'FP32',
    shape: (n) => [n, classes === 2 ? 2 : classes],
    data: (p) => p.flatMap((x) => (x.probabilities ? [...x.probabilities] : x.probability !== undefined ? [1 - x.probability, x.probability] : [])),
  };
  return [labels, probs];
}

export function outputsToV2(face: ModelSignature, served: ModelSignature, predictions: readonly Prediction[], wanted: V2InferBody['outputs']): Static<typeof V2Tensor>[] {
  const all = layout(face, served);
  const chosen = wanted && wanted.length > 0 ? wanted.map((w) => all.find((o) => o.name === w.name) ?? bad(`output "${w.name}" is not one this model answers; its outputs are ${all.map((o) => o.name).join(', ')}`)) : all;
  const n = predictions.length;
  return chosen
    .map((o) => {
      const data = o.data(predictions);
      // Class names that are strings travel as BYTES; a label-only classifier has no probabilities.
      const datatype = o.datatype === 'INT64' && data.some((v) => typeof v === 'string') ? 'BYTES' : o.datatype;
      return { name: o.name, datatype, shape: o.shape(n), data };
    })
    .filter((o) => o.data.length > 0);
}

function tensorMetadata(sig: ModelSignature) {
  return {
    inputs: sig.inputs.map((i) => ({ name: i.name, datatype: OIP_DATATYPES[i.type], shape: i.rank === 1 ? [-1] : [-1, i.width ?? -1] })),
    outputs: layout(sig, sig).map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape(-1).map((d, k) => (k === 0 ? -1 : d)) })),
  };
}

export function modelMetadata(name: string, versions: readonly ModelVersion[], face: ModelVersion) {
  return { name, versions: versions.map((v) => String(v.version)), platform: face.source.kind === 'onnx' ? 'onnxruntime_onnx' : `coalmine_${face.source.kind}`, ...tensorMetadata(face.signature) };
}
