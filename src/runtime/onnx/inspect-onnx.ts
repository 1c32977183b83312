import type onnxProto from 'onnx-proto';
import { appError, type ModelSignature, type ModelTask } from '../../domain/index.js';
import { ElemType, onnx } from './onnx-graph.js';

type IModel = onnxProto.onnx.IModelProto;
type IValueInfo = onnxProto.onnx.IValueInfoProto;
type INode = onnxProto.onnx.INodeProto;

export interface InspectedModel {
  /** The bytes to store and load: the upload itself, or its rewrite when one was needed. */
  readonly bytes: Uint8Array;
  readonly signature: ModelSignature;
}

const CLASSIFIER_OPS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);
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

function pickInput(model: IModel): TensorView {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name ?? ''));
  if (inputs.length !== 1) {
    refuse(`expected exactly one input [N, features]; found ${inputs.length}: ${inputs.map(describeValue).join('; ') || 'none'}`);
  }
  const input = view(inputs[0]!, new Map());
  if (!input || (input.elem !== ElemType.FLOAT && input.elem !== ElemType.DOUBLE) || input.dims.length !== 2) {
    refuse(`expected one float input of shape [N, features]; found ${describeValue(inputs[0]!)}`);
  }
  return input;
}

function taskFromMetadata(model: IModel): string | undefined {
  return model.metadataProps?.find((p) => p.key === 'coalmine.task')?.value ?? undefined;
}

interface OutputRoles {
  task: ModelTask;
  probabilities?: string;
  label?: string;
  value?: string;
  classCount: number | null;
  classLabels: (number | string)[] | null;
}

function assignOutputs(outputs: readonly TensorView[], declaredTask: string | undefined, found: string): OutputRoles {
  const isLabel = (t: TensorView) =>
    (t.elem === ElemType.INT64 || t.elem === ElemType.STRING) && (t.dims.length === 1 || (t.dims.length === 2 && t.dims[1] === 1));
  const isScore = (t: TensorView) => (t.elem === ElemType.FLOAT || t.elem === ElemType.DOUBLE) && (t.dims.length === 1 || t.dims.length === 2);
  const labels = outputs.filter(isLabel);
  let scores = outputs.filter(isScore);
  if (scores.length > 1) {
    const named = scores.filter((s) => /prob/i.test(s.name));
    scores = named.length === 1 ? named : scores;
  }
  if (scores.length !== 1) {
    refuse(`expected one float output (probabilities [N, C], a probability [N, 1] or a value [N, 1]); found ${found}`);
  }
  const score = scores[0]!;
  const label = labels.find((l) => /label/i.test(l.name)) ?? labels[0];
  const width = score.dims.length === 2 ? score.dims[1] : 1;
  const producerOp = score.producer?.opType ?? '';
  const classLabels = classLabelsOf(label?.producer) ?? classLabelsOf(score.producer);
  const looksLikeClassifier =
    declaredTask === 'classifier' ||
    (declaredTask !== 'regressor' &&
      (label !== undefined || producerOp === 'Softmax' || producerOp === 'Sigmoid' || CLASSIFIER_OPS.has(producerOp) || (typeof width === 'number' && width >= 2)));
  if (!looksLikeClassifier) {
    if (typeof width === 'number' && width !== 1) refuse(`a regressor must output one value per row [N, 1]; found ${found}`);
    return { task: 'regressor', value: score.name, classCount: null, classLabels: null };
  }
  const classCount = typeof width === 'number' ? (width === 1 ? 2 : width) : (classLabels?.length ?? null);
  if (classCount === null) refuse(`cannot tell how many classes the probabilities output has; found ${found}`);
  return {
    task: classCount === 2 ? 'binary_classifier' : 'multiclass_classifier',
    probabilities: score.name,
    ...(label ? { label: label.name } : {}),
    classCount,
    classLabels: classLabels ?? null,
  };
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
  const input = pickInput(model);
  const rawOutputs = graph.output ?? [];
  const found = rawOutputs.map(describeValue).join('; ') || 'no outputs';
  const nonTensor = rawOutputs.filter((o) => !o.type?.tensorType);
  if (nonTensor.length > 0) refuse(`outputs must be tensors; found ${found}`);
  const outputs = rawOutputs.map((o) => view(o, producers)).filter((v): v is TensorView => v !== undefined);
  const declared = taskFromMetadata(model);
  if (declared !== undefined && declared !== 'classifier' && declared !== 'regressor') {
    refuse(`metadata coalmine.task must be "classifier" or "regressor", found "${declared}"`);
  }
  const roles = assignOutputs(outputs, declared, found);
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = Number(o.version ?? 0);
  const signature: ModelSignature = {
    task: roles.task,
    inputName: input.name,
    inputType: input.elem === ElemType.DOUBLE ? 'float64' : 'float32',
    featureCount: typeof input.dims[1] === 'number' && input.dims[1] > 0 ? input.dims[1] : null,
    outputs: {
      ...(roles.probabilities ? { probabilities: roles.probabilities } : {}),
      ...(roles.label ? { label: roles.label } : {}),
      ...(roles.value ? { value: roles.value } : {}),
    },
    classCount: roles.classCount,
    classLabels: roles.classLabels,
    opsets,
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || 'unknown',
    rewrites,
  };
  const out = rewrites.length > 0 ? onnx.ModelProto.encode(model).finish() : bytes;
  return { bytes: out, signature };
}
