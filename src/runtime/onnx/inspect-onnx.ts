import type onnxProto from 'onnx-proto';
import { appError, type InputSpec, type InputType, type ModelSignature } from '../../domain/index.js';
import { ElemType, onnx } from './onnx-graph.js';
import { assignOutputs, CLASSIFIER_OPS, signatureOf } from '../output-roles.js';

type IModel = onnxProto.onnx.IModelProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;
type INode = onnxProto.onnx.INodeProto;

export interface InspectedModel {
  /** The bytes to store and load: the upload itself, or its rewrite when one was needed. */
  readonly bytes: Uint8Array;
  readonly signature: ModelSignature;
}

const ELEM_NAMES: Readonly<Record<number, string>> = {
  1: 'float', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool', 10: 'float16', 11: 'double',
};

interface TensorView {
  readonly name: string;
  readonly elem: number;
  readonly dims: readonly (number | string)[];
  readonly producer: INode | undefined;
}

function refuse(message: string): never {
  throw appError('invalid_model', message);
}

function decode(bytes: Uint8Array): IModel {
  let model: IModel;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    refuse(`not an ONNX model: the file could not be decoded as an ONNX ModelProto (${(err as Error).message})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0 || (model.opsetImport ?? []).length === 0) {
    refuse('not an ONNX model: the file decodes but has no graph nodes or opset imports; export it with an ONNX converter');
  }
  return model;
}

function describeValue(v: IValueInfo): string {
  const tensor = v.type?.tensorType;
  if (!tensor) {
    if (v.type?.sequenceType) return `${v.name}: sequence`;
    if (v.type?.mapType) return `${v.name}: map`;
    return `${v.name}: non-tensor`;
  }
  const dims = (tensor.shape?.dim ?? []).map((d) => d.dimParam || (d.dimValue != null ? String(d.dimValue) : '?'));
  return `${v.name}: ${ELEM_NAMES[tensor.elemType ?? 0] ?? `type ${tensor.elemType}`}[${dims.join(', ')}]`;
}

function view(v: IValueInfo, producers: ReadonlyMap<string, INode>): TensorView | undefined {
  const tensor = v.type?.tensorType;
  if (!tensor || !v.name) return undefined;
  const dims = (tensor.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? Number(d.dimValue) : '?'));
  return { name: v.name, elem: tensor.elemType ?? 0, dims, producer: producers.get(v.name) };
}

/**
 * skl2onnx wraps probabilities in ZipMap (a sequence of maps) by default, which onnxruntime-node
 * cannot return. The probabilities tensor feeding ZipMap is what we need, so expose it instead.
 */
function stripZipMap(model: IModel, rewrites: string[]): void {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  const outputs = graph.output ?? [];
  for (const zip of nodes.filter((n) => n.opType === 'ZipMap')) {
    const zipOut = zip.output?.[0];
    const zipIn = zip.input?.[0];
    const index = outputs.findIndex((o) => o.name === zipOut);
    if (index < 0 || !zipIn) continue;
    const labels = zip.attribute?.find((a) => a.name === 'classlabels_int64s' || a.name === 'classlabels_strings');
    const classes = labels ? (labels.ints?.length ?? 0) + (labels.strings?.length ?? 0) : 0;
    outputs[index] = {
      name: zipIn,
      type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimParam: 'N' }, classes > 0 ? { dimValue: classes } : { dimParam: 'C' }] } } },
    };
    graph.node = (graph.node ?? []).filter((n) => n !== zip);
    rewrites.push(`removed ZipMap: output "${zipOut}" (sequence of maps) is served as the tensor "${zipIn}"`);
  }
}

function classLabelsOf(node: INode | undefined): (number | string)[] | null {
  if (!node || !CLASSIFIER_OPS.has(node.opType ?? '')) return null;
  for (const a of node.attribute ?? []) {
    if ((a.name === 'classlabels_ints' || a.name === 'classlabels_int64s') && a.ints?.length) return a.ints.map(Number);
    if (a.name === 'classlabels_strings' && a.strings?.length) return a.strings.map((s) => Buffer.from(s).toString('utf8'));
  }
  return null;
}

const INPUT_TYPES: Readonly<Record<number, InputType>> = {
  [ElemType.FLOAT]: 'float32',
  [ElemType.DOUBLE]: 'float64',
  [ElemType.INT32]: 'int32',
  [ElemType.INT64]: 'int64',
  [ElemType.BOOL]: 'bool',
  [ElemType.STRING]: 'string',
};

/** The graph's inputs (initializers aside) as coalmine feeds them: named tensors [N] or [N, k]. */
function readInputs(model: IModel): InputSpec[] {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length === 0) refuse('the graph has no inputs to feed');
  return inputs.map((raw) => {
    const input = view(raw, new Map());
    const type = input ? INPUT_TYPES[input.elem] : undefined;
    if (!input || type === undefined || (input.dims.length !== 1 && input.dims.length !== 2)) {
      refuse(`input ${describeValue(raw)} is not one coalmine can feed: inputs must be float, double, int32, int64, bool or string tensors of shape [N] or [N, k]; found ${inputs.map(describeValue).join('; ')}`);
    }
    const k = input.dims[1];
    const width = input.dims.length === 1 ? 1 : typeof k === 'number' && k > 0 ? k : null;
    return { name: input.name, type, rank: input.dims.length === 1 ? 1 : 2, width };
  });
}

function taskFromMetadata(model: IModel): string | undefined {
  return model.metadataProps?.find((p) => p.key === 'coalmine.task')?.value ?? undefined;
}

/**
 * Reads an uploaded ONNX file and decides how coalmine serves it, or refuses it with a message
 * that names what was found. Pure: no I/O, no onnxruntime (the registry loads it afterwards).
 */
export function inspectOnnx(bytes: Uint8Array): InspectedModel {
  const model = decode(bytes);
  const rewrites: string[] = [];
  stripZipMap(model, rewrites);
  const graph = model.graph!;
  const producers = new Map<string, INode>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producers.set(out, node);
  const inputs = readInputs(model);
  const rawOutputs = graph.output ?? [];
  const found = rawOutputs.map(describeValue).join('; ') || 'no outputs';
  const nonTensor = rawOutputs.filter((o) => !o.type?.tensorType);
  if (nonTensor.length > 0) refuse(`outputs must be tensors; found ${found}`);
  const outputs = rawOutputs.map((o) => view(o, producers)).filter((v): v is TensorView => v !== undefined);
  const declared = taskFromMetadata(model);
  if (declared !== undefined && declared !== 'classifier' && declared !== 'regressor') {
    refuse(`metadata coalmine.task must be "classifier" or "regressor", found "${declared}"`);
  }
  const roles = assignOutputs(
    outputs.map((o) => ({
      name: o.name,
      kind: o.elem === ElemType.FLOAT || o.elem === ElemType.DOUBLE ? 'float' : o.elem === ElemType.INT64 || o.elem === ElemType.STRING ? 'label' : 'other',
      dims: o.dims,
      producerOp: o.producer?.opType ?? '',
      classLabels: classLabelsOf(o.producer),
    })),
    declared,
    found,
  );
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = Number(o.version ?? 0);
  const producer = [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown';
  const signature = signatureOf(roles, inputs, { opsets, producer, rewrites });
  const out = rewrites.length > 0 ? onnx.ModelProto.encode(model).finish() : bytes;
  return { bytes: out, signature };
}
