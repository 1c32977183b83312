import { appError, type InputSpec, type ModelSignature, type ModelTask } from '../domain/index.js';

export const CLASSIFIER_OPS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);

/** One output as a graph or a model server's metadata declares it. */
export interface OutputView {
  readonly name: string;
  /** float: probabilities or values; label: integer or string classes. */
  readonly kind: 'float' | 'label' | 'other';
  /** Shape with the batch first; a symbolic dimension is a string. */
  readonly dims: readonly (number | string)[];
  /** The ONNX operator that produces it, when known (Softmax, LinearClassifier, …). */
  readonly producerOp?: string;
  /** Class labels the producer names, when it names them. */
  readonly classLabels?: readonly (number | string)[] | null;
}

export interface OutputRoles {
  readonly task: ModelTask;
  readonly probabilities?: string;
  readonly label?: string;
  readonly value?: string;
  readonly classCount: number | null;
  readonly classLabels: (number | string)[] | null;
}

function refuse(message: string): never {
  throw appError('invalid_model', message);
}

/**
 * Decides which outputs coalmine reads and what the model is: a classifier when it has a label
 * output, a Softmax/Sigmoid/classifier producer or two or more score columns; a regressor
 * otherwise, unless `declaredTask` says which. Shared by ONNX inspection and model servers' metadata.
 */
export function assignOutputs(outputs: readonly OutputView[], declaredTask: string | undefined, found: string): OutputRoles {
  const isLabel = (t: OutputView) => t.kind === 'label' && (t.dims.length === 1 || (t.dims.length === 2 && t.dims[1] === 1));
  const isScore = (t: OutputView) => t.kind === 'float' && (t.dims.length === 1 || t.dims.length === 2);
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
  const producerOp = score.producerOp ?? '';
  const classLabels = label?.classLabels ?? score.classLabels ?? null;
  const looksLikeClassifier =
    declaredTask === 'classifier' ||
    (declaredTask !== 'regressor' &&
      (label !== undefined ||
        producerOp === 'Softmax' ||
        producerOp === 'Sigmoid' ||
        CLASSIFIER_OPS.has(producerOp) ||
        /prob/i.test(score.name) ||
        (typeof width === 'number' && width >= 2)));
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
    classLabels: classLabels ? [...classLabels] : null,
  };
}

/** A signature from the inputs, the output roles and where the model came from. */
export function signatureOf(
  roles: OutputRoles,
  inputs: readonly InputSpec[],
  origin: Pick<ModelSignature, 'opsets' | 'producer' | 'rewrites'>,
): ModelSignature {
  return {
    task: roles.task,
    inputs,
    outputs: {
      ...(roles.probabilities ? { probabilities: roles.probabilities } : {}),
      ...(roles.label ? { label: roles.label } : {}),
      ...(roles.value ? { value: roles.value } : {}),
    },
    classCount: roles.classCount,
    classLabels: roles.classLabels,
    ...origin,
  };
}
