import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inputsFromTfMetadata } from './tf-serving-metadata.js';

/** The shape of TF Serving's GET /v1/models/<m>/metadata (tensorflow.org/tfx/serving/api_rest#model_metadata_api). */
const metadata = (inputs: Record<string, unknown>, name = 'serving_default') => ({
  model_spec: { name: 'm', signature_name: '', version: '1' },
  metadata: { signature_def: { signature_def: { [name]: { inputs, outputs: {}, method_name: 'tensorflow/serving/predict' } } } },
});
const tensor = (dtype: string, ...sizes: number[]) => ({ dtype, tensor_shape: { dim: sizes.map((s) => ({ size: String(s), name: '' })), unknown_rank: false }, name: 'x:0' });

describe('TF Serving metadata', () => {
  it('reads named inputs, their dtypes and widths from the serving signature', () => {
    assert.deepEqual(inputsFromTfMetadata(metadata({ x: tensor('DT_FLOAT', -1, 5), plan: tensor('DT_STRING', -1), n: tensor('DT_INT64', -1, -1) })), [
      { name: 'x', type: 'float32', rank: 2, width: 5 },
      { name: 'plan', type: 'string', rank: 1, width: 1 },
      { name: 'n', type: 'int64', rank: 2, width: null },
    ]);
  });

  it('says why when it cannot: no signature, another signature name, an unsupported dtype or rank', () => {
    assert.match(String(inputsFromTfMetadata({ model_spec: {} })), /no signature_def/);
    assert.match(String(inputsFromTfMetadata(metadata({ x: tensor('DT_FLOAT', -1, 2) }, 'predict'))), /no "serving_default" signature \(it has predict\)/);
    assert.match(String(inputsFromTfMetadata(metadata({ img: tensor('DT_HALF', -1, 2) }))), /input "img" is DT_HALF/);
    assert.match(String(inputsFromTfMetadata(metadata({ img: tensor('DT_FLOAT', -1, 28, 28) }))), /shape \[-1, 28, 28\]/);
    assert.match(String(inputsFromTfMetadata(metadata({}))), /lists no inputs/);
  });
});
