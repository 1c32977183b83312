import { ElemType, buildModel, floatTensor, int64Tensor, tensorInfo } from '../runtime/index.js';
import { CHURN_FEATURES, churnRows, type LabelledRow } from './churn-data.js';
import { fitLogistic, predictLogistic, type LogisticFit } from './logistic-regression.js';

export interface ExampleModel {
  readonly version: 1 | 2;
  readonly bytes: Uint8Array;
  readonly description: string;
  readonly metrics: Readonly<Record<string, number>>;
}

const TRAIN_ROWS = 6000;
const HOLDOUT_ROWS = 2000;
const F = CHURN_FEATURES.length;

interface Scaling {
  readonly mean: number[];
  readonly sd: number[];
}

function scaling(rows: readonly LabelledRow[]): Scaling {
  const mean = CHURN_FEATURES.map((_, j) => rows.reduce((s, r) => s + r.features[j]!, 0) / rows.length);
  const sd = CHURN_FEATURES.map((_, j) => Math.sqrt(rows.reduce((s, r) => s + (r.features[j]! - mean[j]!) ** 2, 0) / rows.length));
  return { mean, sd };
}

const standardize = (s: Scaling, f: readonly number[]): number[] => f.map((v, j) => (v - s.mean[j]!) / s.sd[j]!);

/** Upper triangle of the outer product, in the same order as the ONNX graph's Gather indices. */
const PAIRS: readonly (readonly [number, number])[] = CHURN_FEATURES.flatMap((_, i) =>
  CHURN_FEATURES.map((__, j) => [i, j] as const).filter(([a, b]) => b >= a && a === i),
);

function quadratic(z: readonly number[]): number[] {
  return [...z, ...PAIRS.map(([i, j]) => z[i]! * z[j]!)];
}

function accuracy(fit: LogisticFit, features: (f: readonly number[]) => number[], rows: readonly LabelledRow[]): number {
  const correct = rows.filter((r) => (predictLogistic(fit, features(r.features)) >= 0.5 ? 1 : 0) === r.label).length;
  return Math.round((correct / rows.length) * 10_000) / 10_000;
}

/** v1 as scikit-learn exports a StandardScaler + LogisticRegression pipeline (zipmap disabled). */
function exportLinear(s: Scaling, fit: LogisticFit): Uint8Array {
  return buildModel({
    name: 'churn_v1_linear',
    producer: 'coalmine-examples',
    opsets: { '': 17, 'ai.onnx.ml': 3 },
    inputs: [tensorInfo('input', ElemType.FLOAT, ['N', F])],
    outputs: [tensorInfo('label', ElemType.INT64, ['N']), tensorInfo('probabilities', ElemType.FLOAT, ['N', 2])],
    nodes: [
      { op: 'Scaler', domain: 'ai.onnx.ml', inputs: ['input'], outputs: ['scaled'], attributes: { offset: s.mean, scale: s.sd.map((v) => 1 / v) } },
      {
        op: 'LinearClassifier',
        domain: 'ai.onnx.ml',
        inputs: ['scaled'],
        outputs: ['label', 'probabilities'],
        attributes: {
          coefficients: [...fit.weights.map((w) => -w), ...fit.weights],
          intercepts: [-fit.bias, fit.bias],
          classlabels_ints: { ints: [0, 1] },
          post_transform: 'LOGISTIC',
          multi_class: 0,
        },
      },
    ],
  });
}

/** v2 as a hand-built graph: standardize, add pairwise products, logistic layer, sigmoid. */
function exportQuadratic(s: Scaling, fit: LogisticFit): Uint8Array {
  const flatIndex = PAIRS.map(([i, j]) => i * F + j);
  return buildModel({
    name: 'churn_v2_quadratic',
    producer: 'coalmine-examples',
    opsets: { '': 17 },
    inputs: [tensorInfo('input', ElemType.FLOAT, ['N', F])],
    outputs: [tensorInfo('probability', ElemType.FLOAT, ['N', 1])],
    initializers: [
      floatTensor('mean', [F], s.mean),
      floatTensor('sd', [F], s.sd),
      int64Tensor('axis1', [1], [1]),
      int64Tensor('axis2', [1], [2]),
      int64Tensor('flat_shape', [2], [-1, F * F]),
      int64Tensor('pair_index', [flatIndex.length], flatIndex),
      floatTensor('W', [fit.weights.length, 1], fit.weights),
      floatTensor('b', [1], [fit.bias]),
    ],
    nodes: [
      { op: 'Sub', inputs: ['input', 'mean'], outputs: ['centered'] },
      { op: 'Div', inputs: ['centered', 'sd'], outputs: ['z'] },
      { op: 'Unsqueeze', inputs: ['z', 'axis2'], outputs: ['z_col'] },
      { op: 'Unsqueeze', inputs: ['z', 'axis1'], outputs: ['z_row'] },
      { op: 'Mul', inputs: ['z_col', 'z_row'], outputs: ['outer'] },
      { op: 'Reshape', inputs: ['outer', 'flat_shape'], outputs: ['outer_flat'] },
      { op: 'Gather', inputs: ['outer_flat', 'pair_index'], outputs: ['pairs'], attributes: { axis: 1 } },
      { op: 'Concat', inputs: ['z', 'pairs'], outputs: ['expanded'], attributes: { axis: 1 } },
      { op: 'MatMul', inputs: ['expanded', 'W'], outputs: ['logit0'] },
      { op: 'Add', inputs: ['logit0', 'b'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: ['probability'] },
    ],
  });
}

/**
 * Trains and exports the two example versions of model `churn`. Deterministic: the same data,
 * the same fit and the same ONNX bytes on every run.
 */
export function buildChurnExamples(): readonly [ExampleModel, ExampleModel] {
  const rows = churnRows(TRAIN_ROWS + HOLDOUT_ROWS);
  const train = rows.slice(0, TRAIN_ROWS);
  const holdout = rows.slice(TRAIN_ROWS);
  const s = scaling(train);
  const y = train.map((r) => r.label);
  const linear = fitLogistic(train.map((r) => standardize(s, r.features)), y);
  const quad = fitLogistic(train.map((r) => quadratic(standardize(s, r.features))), y);
  const common = { train_rows: TRAIN_ROWS, holdout_rows: HOLDOUT_ROWS };
  return [
    {
      version: 1,
      bytes: exportLinear(s, linear),
      description: 'churn v1: logistic regression on the 5 standardized features (scikit-learn style graph)',
      metrics: { accuracy: accuracy(linear, (f) => standardize(s, f), holdout), ...common },
    },
    {
      version: 2,
      bytes: exportQuadratic(s, quad),
      description: 'churn v2: logistic regression with pairwise feature interactions (plain ONNX graph, sigmoid output)',
      metrics: { accuracy: accuracy(quad, (f) => quadratic(standardize(s, f)), holdout), ...common },
    },
  ];
}

export { CHURN_FEATURES };
