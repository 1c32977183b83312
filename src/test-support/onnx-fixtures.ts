import { ElemType, buildModel, floatTensor, onnx, tensorInfo } from '../runtime/index.js';

/**
 * ONNX files shaped like what other exporters produce, built straight from the protobuf schema
 * (not by coalmine's example trainer), so registration is tested against foreign graphs.
 */

/** skl2onnx's default LogisticRegression export: label + ZipMap(probabilities). p1 = sigmoid(sum(x)). */
export function sklearnZipMapClassifier(features = 3): Uint8Array {
  const w = new Array<number>(features).fill(1);
  return buildModel({
    producer: 'skl2onnx',
    opsets: { '': 15, 'ai.onnx.ml': 1 },
    inputs: [tensorInfo('float_input', ElemType.FLOAT, ['N', features])],
    outputs: [
      tensorInfo('output_label', ElemType.INT64, ['N']),
      { name: 'output_probability', type: { sequenceType: { elemType: { mapType: { keyType: ElemType.INT64, valueType: { tensorType: { elemType: ElemType.FLOAT } } } } } } },
    ],
    nodes: [
      {
        op: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['float_input'],
        outputs: ['output_label', 'probability_tensor'],
        attributes: { coefficients: [...w.map((x) => -x), ...w], intercepts: [0, 0], classlabels_ints: { ints: [0, 1] }, post_transform: 'LOGISTIC' },
      },
      { op: 'ZipMap', domain: 'ai.onnx.ml', inputs: ['probability_tensor'], outputs: ['output_probability'], attributes: { classlabels_int64s: { ints: [0, 1] } } },
    ],
  });
}

/** A 3-class softmax classifier with no label output; logits = x · W where W = identity(3). */
export function softmaxClassifier(): Uint8Array {
  return buildModel({
    producer: 'pytorch',
    inputs: [tensorInfo('x', ElemType.FLOAT, ['batch', 3])],
    outputs: [tensorInfo('probs', ElemType.FLOAT, ['batch', 3])],
    initializers: [floatTensor('W', [3, 3], [1, 0, 0, 0, 1, 0, 0, 0, 1])],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probs'], attributes: { axis: 1 } },
    ],
  });
}

/** A linear regressor y = 2·x0 + 3·x1 + 1 as a plain graph with a [N, 1] output. */
export function linearRegressor(): Uint8Array {
  return buildModel({
    producer: 'tf2onnx',
    inputs: [tensorInfo('features', ElemType.FLOAT, ['N', 2])],
    outputs: [tensorInfo('variable', ElemType.FLOAT, ['N', 1])],
    initializers: [floatTensor('W', [2, 1], [2, 3]), floatTensor('b', [1], [1])],
    nodes: [
      { op: 'MatMul', inputs: ['features', 'W'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'b'], outputs: ['variable'] },
    ],
  });
}

/** scikit-learn's LinearRegression export: ai.onnx.ml LinearRegressor, y = x0 - x1 + 0.5. */
export function sklearnLinearRegressor(): Uint8Array {
  return buildModel({
    producer: 'skl2onnx',
    opsets: { '': 15, 'ai.onnx.ml': 1 },
    inputs: [tensorInfo('float_input', ElemType.FLOAT, [null as unknown as string, 2].map((d) => d ?? 'N'))],
    outputs: [tensorInfo('variable', ElemType.FLOAT, ['N', 1])],
    nodes: [{ op: 'LinearRegressor', domain: 'ai.onnx.ml', inputs: ['float_input'], outputs: ['variable'], attributes: { coefficients: [1, -1], intercepts: [0.5] } }],
  });
}

/** A graph with two inputs, which coalmine cannot feed from one feature row. */
export function twoInputGraph(): Uint8Array {
  return buildModel({
    inputs: [tensorInfo('a', ElemType.FLOAT, ['N', 2]), tensorInfo('b', ElemType.FLOAT, ['N', 2])],
    outputs: [tensorInfo('y', ElemType.FLOAT, ['N', 2])],
    nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
  });
}

/** An int64 input, which is not a feature vector. */
export function intInputGraph(): Uint8Array {
  return buildModel({
    inputs: [tensorInfo('ids', ElemType.INT64, ['N', 4])],
    outputs: [tensorInfo('y', ElemType.INT64, ['N', 4])],
    nodes: [{ op: 'Identity', inputs: ['ids'], outputs: ['y'] }],
  });
}

/** Decodes as ONNX but names an operator onnxruntime does not have. */
export function unknownOperatorGraph(): Uint8Array {
  return buildModel({
    inputs: [tensorInfo('x', ElemType.FLOAT, ['N', 2])],
    outputs: [tensorInfo('y', ElemType.FLOAT, ['N', 1])],
    nodes: [{ op: 'TotallyMadeUpOp', inputs: ['x'], outputs: ['y'] }],
  });
}

/** A valid graph that outputs NaN for every row (0/0), to show garbage output is the model's fault. */
export function nanRegressor(): Uint8Array {
  return buildModel({
    inputs: [tensorInfo('x', ElemType.FLOAT, ['N', 1])],
    outputs: [tensorInfo('y', ElemType.FLOAT, ['N', 1])],
    initializers: [floatTensor('zero', [1], [0])],
    nodes: [
      { op: 'Mul', inputs: ['x', 'zero'], outputs: ['z'] },
      { op: 'Div', inputs: ['z', 'z'], outputs: ['y'] },
    ],
  });
}

export { onnx };

/** linearRegressor() carrying an unused initializer of `padFloats` floats: a large but valid file. */
export function paddedRegressor(padFloats: number): Uint8Array {
  return buildModel({
    producer: 'tf2onnx',
    inputs: [tensorInfo('features', ElemType.FLOAT, ['N', 2])],
    outputs: [tensorInfo('variable', ElemType.FLOAT, ['N', 1])],
    initializers: [floatTensor('W', [2, 1], [2, 3]), floatTensor('b', [1], [1]), floatTensor('pad', [padFloats], Array.from({ length: padFloats }, (_, i) => i % 97))],
    nodes: [
      { op: 'MatMul', inputs: ['features', 'W'], outputs: ['xw'] },
      { op: 'Add', inputs: ['xw', 'b'], outputs: ['variable'] },
    ],
  });
}
