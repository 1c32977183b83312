import type { ModelSignature, Prediction } from '../domain/index.js';
import { ModelOutputError } from './model-runtime.js';

/** A model's answer for n rows, by role, as flat row-major arrays (an ONNX tensor's data, a V2 output's data, a JSON list). */
export interface RoleOutputs {
  readonly probabilities?: { readonly data: ArrayLike<number | bigint>; readonly width: number } | undefined;
  readonly labels?: ArrayLike<unknown> | undefined;
  readonly values?: ArrayLike<number | bigint> | undefined;
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new ModelOutputError(`${what} returned ${value}`);
  return value;
}

function label(raw: unknown, what: string): number | string {
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  throw new ModelOutputError(`${what} returned ${JSON.stringify(raw)} as a label`);
}

/**
 * Turns a model's outputs into predictions, checking each value: a probability outside [0, 1], a
 * NaN or a missing row is the model's fault (ModelOutputError), never a statistic. One decoder for
 * every runtime, so an ONNX version and an upstream one answer the same rows the same way.
 */
export function predictionsFrom(sig: ModelSignature, n: number, out: RoleOutputs, what: string): Prediction[] {
  if (sig.task === 'regressor') {
    const values = out.values;
    if (!values || values.length !== n) throw new ModelOutputError(`${what} returned ${values?.length ?? 0} values for ${n} rows`);
    return Array.from({ length: n }, (_, i) => ({ prediction: finite(Number(values[i]), what) }));
  }
  const classes = sig.classCount ?? 2;
  const labels = out.labels;
  if (labels !== undefined && labels.length !== n) throw new ModelOutputError(`${what} returned ${labels.length} labels for ${n} rows`);
  const probs = out.probabilities;
  if (probs === undefined) {
    if (labels === undefined) throw new ModelOutputError(`${what} returned neither probabilities nor labels`);
    return Array.from({ length: n }, (_, i) => ({ prediction: label(labels[i], what) }));
  }
  const single = probs.width === 1;
  const width = single ? 1 : classes;
  if (!single && probs.width !== classes) throw new ModelOutputError(`${what} returned ${probs.width} probabilities per row; the model has ${classes} classes`);
  if (probs.data.length !== n * width) throw new ModelOutputError(`${what} returned ${probs.data.length} probabilities for ${n} rows of ${width}`);
  const data = probs.data;
  const result: Prediction[] = new Array<Prediction>(n);
  // Hot path (every prediction): no per-row arrays or messages unless they are the answer.
  for (let i = 0; i < n; i++) {
    const row: number[] = single ? [1 - Number(data[i]), Number(data[i])] : new Array<number>(width);
    if (!single) for (let c = 0; c < width; c++) row[c] = Number(data[i * width + c]);
    let best = 0;
    for (let c = 0; c < row.length; c++) {
      const p = row[c]!;
      if (!(p >= -1e-6 && p <= 1 + 1e-6)) throw new ModelOutputError(Number.isFinite(p) ? `${what} returned ${p}, not a probability` : `${what} returned ${p}`);
      if (p > row[best]!) best = c;
    }
    const prediction = labels !== undefined ? label(labels[i], what) : (sig.classLabels?.[best] ?? best);
    result[i] = classes === 2 ? { prediction, probability: row[1]! } : { prediction, probabilities: row };
  }
  return result;
}
