import type { FeatureRow, InputScalar, InputSpec, InputType, ModelSignature } from './model.js';

/** How an input reads in messages and status: `plan: string[N, 1]`. */
export function describeInput(input: InputSpec): string {
  const dims = input.rank === 1 ? 'N' : `N, ${input.width ?? '?'}`;
  return `${input.name}: ${input.type}[${dims}]`;
}

/** True when a caller may send a row as a plain array: one input, whatever its width. */
export const takesArrayRows = (signature: ModelSignature): boolean => signature.inputs.length === 1;

interface LegacySignature {
  readonly inputName: string;
  readonly inputType: 'float32' | 'float64';
  readonly featureCount: number | null;
}

/**
 * Signatures saved before inputs were a list held one float input [N, features]. Stores read
 * every signature through this, so a data directory from then serves unchanged.
 */
export function upgradeSignature(saved: ModelSignature | (Omit<ModelSignature, 'inputs'> & LegacySignature)): ModelSignature {
  if ('inputs' in saved) return saved;
  const { inputName, inputType, featureCount, ...rest } = saved;
  return { ...rest, inputs: [{ name: inputName, type: inputType, rank: 2, width: featureCount }] };
}

/** The values of one input in a checked row (serving/validate-rows.ts), as an array of the input's width. */
export function inputValues(row: FeatureRow, input: InputSpec): readonly InputScalar[] {
  if (Array.isArray(row)) return row as readonly InputScalar[];
  const v = (row as Readonly<Record<string, InputScalar | readonly InputScalar[]>>)[input.name]!;
  return Array.isArray(v) ? (v as readonly InputScalar[]) : [v as InputScalar];
}

/** Open Inference Protocol (KServe V2) datatypes by input type: what coalmine sends upstream and answers on /v2. */
export const OIP_DATATYPES: Readonly<Record<InputType, string>> = {
  float32: 'FP32',
  float64: 'FP64',
  int32: 'INT32',
  int64: 'INT64',
  bool: 'BOOL',
  string: 'BYTES',
};
