import { ElemType, buildModel, floatTensor, int64Tensor, onnx, tensorInfo, type NodeSpec } from '../runtime/index.js';

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

/** An image model's input [N, 3, 8, 8]: a tensor of rank 4, which a JSON row cannot describe. */
export function imageInputGraph(): Uint8Array {
  return buildModel({
    inputs: [tensorInfo('pixels', ElemType.FLOAT, ['N', 3, 8, 8])],
    outputs: [tensorInfo('y', ElemType.FLOAT, ['N', 1])],
    initializers: [int64Tensor('shape', [2], [0, -1]), floatTensor('W', [192, 1], new Array<number>(192).fill(0.01))],
    nodes: [
      { op: 'Reshape', inputs: ['pixels', 'shape'], outputs: ['flat'] },
      { op: 'MatMul', inputs: ['flat', 'W'], outputs: ['y'] },
    ],
  });
}

/** A float16 input, a type JSON numbers are not converted to. */
export function float16InputGraph(): Uint8Array {
  return buildModel({
    inputs: [tensorInfo('x', 10, ['N', 2])],
    outputs: [tensorInfo('y', ElemType.FLOAT, ['N', 2])],
    nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attributes: { to: ElemType.FLOAT } }],
  });
}

/** The plan categories of churnPipeline's one-hot encoder, in its column order. */
export const CHURN_PLANS = ['basic', 'pro', 'team'] as const;

/**
 * What an sklearn ColumnTransformer (two numeric columns, a OneHotEncoder on a string column) and a
 * LogisticRegression become through skl2onnx: three named inputs, one of them a string, then
 * OneHotEncoder → Concat → LinearClassifier. logit = 0.05·tenure − 0.02·monthly + (−1, 0.5, 1)[plan] + 0.3.
 */
export function churnPipeline(): Uint8Array {
  const coef = [0.05, -0.02, -1, 0.5, 1];
  return buildModel({
    producer: 'skl2onnx',
    opsets: { '': 15, 'ai.onnx.ml': 1 },
    inputs: [tensorInfo('tenure', ElemType.FLOAT, ['N', 1]), tensorInfo('monthly', ElemType.FLOAT, ['N', 1]), tensorInfo('plan', ElemType.STRING, ['N', 1])],
    outputs: [tensorInfo('output_label', ElemType.INT64, ['N']), tensorInfo('output_probability', ElemType.FLOAT, ['N', 2])],
    nodes: [
      { op: 'OneHotEncoder', domain: 'ai.onnx.ml', inputs: ['plan'], outputs: ['plan_onehot3d'], attributes: { cats_strings: [...CHURN_PLANS], zeros: 1 } },
      { op: 'Flatten', inputs: ['plan_onehot3d'], outputs: ['plan_onehot'], attributes: { axis: 1 } },
      { op: 'Concat', inputs: ['tenure', 'monthly', 'plan_onehot'], outputs: ['features'], attributes: { axis: 1 } },
      {
        op: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['features'],
        outputs: ['output_label', 'output_probability'],
        attributes: { coefficients: [...coef.map((c) => -c), ...coef], intercepts: [-0.3, 0.3], classlabels_ints: { ints: [0, 1] }, post_transform: 'LOGISTIC' },
      },
    ],
  });
}

/** The probability of churn churnPipeline gives a row, computed by hand (the LOGISTIC transform of LinearClassifier's class-1 score). */
export function churnPipelineProbability(tenure: number, monthly: number, plan: string): number {
  const onehot = CHURN_PLANS.map((p) => (p === plan ? 1 : 0));
  const score = 0.05 * tenure - 0.02 * monthly + -1 * onehot[0]! + 0.5 * onehot[1]! + 1 * onehot[2]! + 0.3;
  return 1 / (1 + Math.exp(-score));
}

/** One input of each integer and boolean type and a double: y = 2·count + 3·flag + weight + 10·level. */
export function mixedTypesRegressor(): Uint8Array {
  const cast = (from: string): NodeSpec => ({ op: 'Cast', inputs: [from], outputs: [`${from}_f`], attributes: { to: ElemType.FLOAT } });
  return buildModel({
    metadata: { 'coalmine.task': 'regressor' },
    inputs: [
      tensorInfo('count', ElemType.INT64, ['N', 1]),
      tensorInfo('flag', ElemType.BOOL, ['N', 1]),
      tensorInfo('weight', ElemType.DOUBLE, ['N', 1]),
      tensorInfo('level', ElemType.INT32, ['N', 1]),
    ],
    outputs: [tensorInfo('y', ElemType.FLOAT, ['N', 1])],
    initializers: [floatTensor('W', [4, 1], [2, 3, 1, 10])],
    nodes: [
      cast('count'),
      cast('flag'),
      cast('weight'),
      cast('level'),
      { op: 'Concat', inputs: ['count_f', 'flag_f', 'weight_f', 'level_f'], outputs: ['x'], attributes: { axis: 1 } },
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] },
    ],
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
