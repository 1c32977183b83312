import {
  appError,
  describeInput,
  labelProblem,
  type FeatureRow,
  type InputSpec,
  type InputType,
  type Label,
  type ModelSignature,
  type NamedRow,
} from '../domain/index.js';

const FLOAT32_MAX = 3.4028234663852886e38;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MAX_STRING = 65_536;

/** Why `v` cannot be a value of this input type, or null. */
function valueProblem(v: unknown, type: InputType): string | null {
  switch (type) {
    case 'float32':
    case 'float64':
      if (typeof v !== 'number' || !Number.isFinite(v)) return `${show(v)} is not a finite number`;
      return type === 'float32' && Math.abs(v) > FLOAT32_MAX ? `${v} is out of float32 range` : null;
    case 'int32':
    case 'int64':
      if (typeof v !== 'number' || !Number.isInteger(v)) return `${show(v)} is not an integer`;
      if (type === 'int32' && (v < INT32_MIN || v > INT32_MAX)) return `${v} is out of int32 range`;
      // Beyond 2^53 a JSON number has already lost digits, so the model would see another value.
      return Number.isSafeInteger(v) ? null : `${v} is beyond ±2^53, where JSON numbers lose digits`;
    case 'bool':
      return typeof v === 'boolean' ? null : `${show(v)} is not true or false`;
    case 'string':
      if (typeof v !== 'string') return `${show(v)} is not a string`;
      return v.length > MAX_STRING ? `a string of ${v.length} characters is longer than ${MAX_STRING}` : null;
  }
}

function show(v: unknown): string {
  const text = v === undefined ? 'undefined' : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Checks one input's values for one row; the values are an array of the input's width. */
function checkValues(values: readonly unknown[], input: InputSpec, width: number | null, where: string, model: string, named: boolean): void {
  if (width !== null && values.length !== width) {
    if (!named) throw appError('invalid_features', `${where} has ${values.length} values; model "${model}" expects ${width} features per row (${describeInput(input)})`);
    throw appError('invalid_features', `${where} input "${input.name}" has ${values.length} values; model "${model}" expects ${width} (${describeInput(input)})`);
  }
  for (let j = 0; j < values.length; j++) {
    const problem = valueProblem(values[j], input.type);
    if (problem !== null) {
      const at = named ? `input "${input.name}"${values.length > 1 ? `[${j}]` : ''}` : `feature ${j}`;
      throw appError('invalid_features', `${where}, ${at}: ${problem}; model "${model}" takes ${input.type} there (${describeInput(input)})`);
    }
  }
}

function checkNamed(row: NamedRow, signature: ModelSignature, widths: (number | null)[], where: string, model: string): void {
  const known = signature.inputs;
  for (const key of Object.keys(row)) {
    if (!known.some((i) => i.name === key)) {
      throw appError('invalid_features', `${where} names input "${key}", which model "${model}" does not have; its inputs are ${known.map(describeInput).join(', ')}`);
    }
  }
  for (let k = 0; k < known.length; k++) {
    const input = known[k]!;
    const value = row[input.name];
    if (value === undefined) {
      throw appError('invalid_features', `${where} is missing input "${input.name}" (${describeInput(input)}); send every input of model "${model}": ${known.map((i) => i.name).join(', ')}`);
    }
    if (Array.isArray(value)) {
      checkValues(value, input, widths[k]!, where, model, true);
    } else {
      if (widths[k] !== 1 && widths[k] !== null) {
        throw appError('invalid_features', `${where}, input "${input.name}": one value where model "${model}" expects ${widths[k]} (${describeInput(input)}); send an array`);
      }
      checkValues([value], input, 1, where, model, true);
    }
  }
}

const isNamed = (row: FeatureRow): row is NamedRow => !Array.isArray(row);

/**
 * Checks rows against the model's signature before the model runs, so bad input is a clear 400
 * that names the input and what it expects, and never a model error. Rows are what the caller
 * sent: arrays for a single-input model, objects keyed by input name for any model. The first
 * row fixes a symbolic width for the rest of the batch.
 */
export function validateRows(model: string, rows: readonly FeatureRow[], signature: ModelSignature, maxRows: number): void {
  if (rows.length === 0) throw appError('invalid_features', 'features is empty: send one row [f1, f2, …] or {"input": value, …}, or a batch of them');
  if (rows.length > maxRows) {
    throw appError('invalid_features', `a batch may hold at most ${maxRows} rows, got ${rows.length}; split it into smaller requests`);
  }
  const widths = signature.inputs.map((i) => i.width);
  const first = rows[0]!;
  signature.inputs.forEach((input, k) => {
    if (widths[k] !== null) return;
    const v = isNamed(first) ? first[input.name] : first;
    widths[k] = Array.isArray(v) ? v.length : v === undefined ? null : 1;
  });
  const single = signature.inputs.length === 1;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const where = rows.length > 1 ? `row ${i}` : 'features';
    if (isNamed(row)) checkNamed(row, signature, widths, where, model);
    else if (single) checkValues(row, signature.inputs[0]!, widths[0]!, where, model, false);
    else {
      throw appError('invalid_features', `${where} is an array, but model "${model}" has ${signature.inputs.length} inputs; send an object keyed by input name: {${signature.inputs.map((x) => `"${x.name}": …`).join(', ')}}`);
    }
  }
}

/** Labels must line up with rows and be answers the model can give, so no label can pollute a statistic. */
export function validateLabels(labels: readonly (Label | null)[], rows: number, signature: ModelSignature): void {
  if (labels.length !== rows) {
    throw appError('invalid_request', `label has ${labels.length} values for ${rows} rows; send one label per row (null where unknown)`);
  }
  labels.forEach((l, i) => {
    const problem = l === null ? null : labelProblem(l, signature);
    if (problem) throw appError('invalid_request', `label${rows > 1 ? ` of row ${i}` : ''} ${problem}`);
  });
}
