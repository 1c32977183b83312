import onnxProto from 'onnx-proto';

/**
 * Thin, typed helpers over the ONNX protobuf schema (onnx-proto) for building graphs in code:
 * the example trainer exports through them and tests build foreign-shaped fixtures with them.
 */
export const { onnx } = onnxProto;

export const ElemType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  DOUBLE: 11,
} as const;

export type Dim = number | string;
export type AttributeValue = number | string | readonly number[] | readonly string[] | { readonly ints: readonly number[] };

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly domain?: string;
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface GraphSpec {
  readonly name?: string;
  readonly producer?: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly onnxProto.onnx.ITensorProto[];
  readonly inputs: readonly onnxProto.onnx.IValueInfoProto[];
  readonly outputs: readonly onnxProto.onnx.IValueInfoProto[];
  /** Opset per domain; the default domain is ''. */
  readonly opsets?: Readonly<Record<string, number>>;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly docString?: string;
}

export function tensorInfo(name: string, elemType: number, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export function floatTensor(name: string, dims: readonly number[], values: readonly number[]): onnxProto.onnx.ITensorProto {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (expected !== values.length) throw new Error(`tensor ${name}: ${values.length} values for shape [${dims.join(', ')}]`);
  return { name, dims: [...dims], dataType: ElemType.FLOAT, floatData: [...values] };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): onnxProto.onnx.ITensorProto {
  return { name, dims: [...dims], dataType: ElemType.INT64, int64Data: [...values] };
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(value) };
  if ('ints' in value) return { name, type: AttributeType.INTS, ints: [...value.ints] };
  if (value.length > 0 && typeof value[0] === 'string') {
    return { name, type: AttributeType.STRINGS, strings: (value as readonly string[]).map((s) => Buffer.from(s)) };
  }
  return { name, type: AttributeType.FLOATS, floats: [...(value as readonly number[])] };
}

export function buildModel(spec: GraphSpec): Uint8Array {
  const opsets = spec.opsets ?? { '': 17 };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: spec.producer ?? 'coalmine',
    docString: spec.docString ?? '',
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name ?? 'graph',
      node: spec.nodes.map((n, i) => ({
        opType: n.op,
        domain: n.domain ?? '',
        name: n.name ?? `${n.op}_${i}`,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: [...(spec.initializers ?? [])],
      input: [...spec.inputs],
      output: [...spec.outputs],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
