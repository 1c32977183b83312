import type { InputSpec, InputType } from '../../domain/index.js';

/** TensorFlow's dtypes coalmine can send as JSON, by the names TF Serving's metadata uses. */
const DTYPES: Readonly<Record<string, InputType>> = {
  DT_FLOAT: 'float32',
  DT_DOUBLE: 'float64',
  DT_INT32: 'int32',
  DT_INT64: 'int64',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
};

interface TensorInfo {
  readonly dtype?: unknown;
  readonly tensor_shape?: { readonly dim?: readonly { readonly size?: unknown }[]; readonly unknown_rank?: unknown };
}

/**
 * The inputs of a TF Serving model's serving signature, from `GET /v1/models/<m>/metadata`
 * (`metadata.signature_def.signature_def.<name>.inputs`, TensorFlow's SignatureDef as JSON).
 * Returns a reason instead when the answer has no usable signature, for the registration's message.
 */
export function inputsFromTfMetadata(body: unknown, signatureName = 'serving_default'): InputSpec[] | string {
  const defs = (body as { metadata?: { signature_def?: { signature_def?: Record<string, { inputs?: Record<string, TensorInfo> }> } } } | undefined)?.metadata?.signature_def?.signature_def;
  if (typeof defs !== 'object' || defs === null) return 'its metadata has no signature_def';
  const def = defs[signatureName];
  if (def === undefined) return `its metadata has no "${signatureName}" signature (it has ${Object.keys(defs).join(', ') || 'none'})`;
  const entries = Object.entries(def.inputs ?? {});
  if (entries.length === 0) return `its "${signatureName}" signature lists no inputs`;
  const inputs: InputSpec[] = [];
  for (const [name, info] of entries) {
    const type = typeof info.dtype === 'string' ? DTYPES[info.dtype] : undefined;
    if (type === undefined) return `input "${name}" is ${String(info.dtype)}, which coalmine does not send (it sends ${Object.keys(DTYPES).join(', ')})`;
    const dims = info.tensor_shape?.dim;
    if (info.tensor_shape?.unknown_rank === true || !Array.isArray(dims)) return `input "${name}" has no known shape`;
    // Sizes are int64 in the protobuf, so JSON carries them as strings; -1 is a free dimension.
    const sizes = dims.map((d) => Number(d.size));
    if (sizes.length === 1) inputs.push({ name, type, rank: 1, width: 1 });
    else if (sizes.length === 2) inputs.push({ name, type, rank: 2, width: sizes[1]! > 0 ? sizes[1]! : null });
    else return `input "${name}" has shape [${sizes.join(', ')}]; coalmine sends [N] or [N, k]`;
  }
  return inputs;
}
