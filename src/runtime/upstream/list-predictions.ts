import type { ModelSignature, Prediction } from '../../domain/index.js';
import { ModelOutputError } from '../model-runtime.js';
import { predictionsFrom } from '../predictions-from-outputs.js';

/**
 * MLflow's scoring server and TF Serving answer `{"predictions": [...]}` with one item per row: a
 * number, a list (per-class probabilities, or one value), a string label, or a record of named
 * columns. The signature names what to read with these roles: "predictions" for the item itself,
 * or a record's field name.
 */
export const WHOLE = 'predictions';

type Roles = Pick<ModelSignature, 'task' | 'outputs' | 'classCount' | 'classLabels'>;

const PROB = /prob|score/i;
const LABEL = /label|class|prediction/i;

/** What a server's answer to a probe row says the model is; `task` settles what a bare number means. */
export function rolesFromSample(item: unknown, task: 'classifier' | 'regressor' | undefined, url: string): Roles {
  const fail = (why: string): never => {
    throw new ModelOutputError(`${url} answered the probe row with ${JSON.stringify(item)?.slice(0, 120)}: ${why}`);
  };
  if (typeof item === 'number') {
    if (task === 'classifier') {
      return Number.isInteger(item)
        ? { task: 'multiclass_classifier', outputs: { label: WHOLE }, classCount: null, classLabels: null }
        : { task: 'binary_classifier', outputs: { probabilities: WHOLE }, classCount: 2, classLabels: null };
    }
    return { task: 'regressor', outputs: { value: WHOLE }, classCount: null, classLabels: null };
  }
  if (typeof item === 'string') return { task: 'multiclass_classifier', outputs: { label: WHOLE }, classCount: null, classLabels: null };
  if (Array.isArray(item)) {
    if (!item.every((v) => typeof v === 'number')) fail('a list of non-numbers');
    if (item.length === 1) return rolesFromSample(item[0], task, url);
    if (task === 'regressor') fail(`${item.length} values per row, but a regressor answers one`);
    return { task: item.length === 2 ? 'binary_classifier' : 'multiclass_classifier', outputs: { probabilities: WHOLE }, classCount: item.length, classLabels: null };
  }
  if (typeof item !== 'object' || item === null) return fail('not a number, list, label or record');
  const fields = Object.entries(item as Record<string, unknown>);
  const probs = fields.find(([k, v]) => PROB.test(k) && (typeof v === 'number' || Array.isArray(v)));
  const label = fields.find(([k, v]) => LABEL.test(k) && (typeof v === 'number' || typeof v === 'string'));
  if (probs && task !== 'regressor') {
    const width = Array.isArray(probs[1]) ? probs[1].length : 1;
    const classCount = width === 1 ? 2 : width;
    return {
      task: classCount === 2 ? 'binary_classifier' : 'multiclass_classifier',
      outputs: { probabilities: probs[0], ...(label ? { label: label[0] } : {}) },
      classCount,
      classLabels: null,
    };
  }
  const numeric = fields.filter(([, v]) => typeof v === 'number');
  if (task !== 'classifier' && numeric.length === 1) return { task: 'regressor', outputs: { value: numeric[0]![0] }, classCount: null, classLabels: null };
  if (label) return { task: 'multiclass_classifier', outputs: { label: label[0] }, classCount: null, classLabels: null };
  return fail(`a record whose fields (${fields.map(([k]) => k).join(', ')}) name no probability, label or single value`);
}

function field(item: unknown, name: string): unknown {
  if (name === WHOLE) return Array.isArray(item) && item.length === 1 ? item[0] : item;
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[name] : undefined;
}

/** Decodes a `predictions` list with the roles the signature names. */
export function decodeList(sig: ModelSignature, n: number, predictions: unknown, url: string): Prediction[] {
  if (!Array.isArray(predictions)) throw new ModelOutputError(`${url} answered without a predictions list`);
  if (predictions.length !== n) throw new ModelOutputError(`${url} answered ${predictions.length} predictions for ${n} rows`);
  const { probabilities, label, value } = sig.outputs;
  const num = (v: unknown) => (typeof v === 'number' ? v : Number.NaN);
  let probs: { data: number[]; width: number } | undefined;
  if (probabilities !== undefined) {
    const items = predictions.map((p) => field(p, probabilities));
    const width = Array.isArray(items[0]) ? items[0].length : 1;
    probs = { data: items.flatMap((v) => (Array.isArray(v) ? v.map(num) : [num(v)])), width };
  }
  return predictionsFrom(
    sig,
    n,
    {
      probabilities: probs,
      labels: label !== undefined ? predictions.map((p) => field(p, label)) : undefined,
      values: value !== undefined ? predictions.map((p) => num(field(p, value))) : undefined,
    },
    `${url} predictions`,
  );
}
