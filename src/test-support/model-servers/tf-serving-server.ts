import { defaultKnobs, inferenceGate, listen, probabilityOf, sendJson, wrongRow, type RunningServer, type TestModel } from './test-model.js';

/**
 * TF Serving's REST API, written from its documentation (tensorflow.org/tfx/serving/api_rest):
 * GET /v1/models/<m> answers model_version_status, POST /v1/models/<m>:predict takes the row
 * format {"instances": […]} and answers {"predictions": […]}, here one probability per row
 * (a sigmoid output [N, 1]); errors are {"error": "…"}. GET /v1/models/<m>/metadata answers the
 * SignatureDef (one DT_FLOAT input "x" of shape [-1, width]) unless `metadata` is false, as a
 * KServe V1 server, which has no such endpoint, would.
 */
export async function startTfServingServer(model: TestModel, opts: { metadata?: boolean } = {}): Promise<RunningServer> {
  const knobs = defaultKnobs();
  const received: RunningServer['received'] = [];
  const counter = { n: 0 };
  const width = model.inputs.reduce((a, i) => a + i.width, 0);
  const base = `/v1/models/${model.name}`;
  return listen(
    async (req, body, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === base) {
        const state = knobs.ready ? 'AVAILABLE' : 'LOADING';
        return sendJson(res, 200, { model_version_status: [{ version: '1', state, status: { error_code: 'OK', error_message: '' } }] });
      }
      if (req.method === 'GET' && path === `${base}/metadata` && opts.metadata !== false) {
        // int64 sizes travel as strings, as TF Serving's protobuf-to-JSON writes them.
        const dim = [{ size: '-1', name: '' }, { size: String(width), name: '' }];
        return sendJson(res, 200, {
          model_spec: { name: model.name, signature_name: '', version: '1' },
          metadata: {
            signature_def: {
              signature_def: {
                serving_default: {
                  inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim, unknown_rank: false }, name: 'serving_default_x:0' } },
                  outputs: { output_0: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: '-1', name: '' }, { size: '1', name: '' }], unknown_rank: false }, name: 'StatefulPartitionedCall:0' } },
                  method_name: 'tensorflow/serving/predict',
                },
              },
            },
          },
        });
      }
      if (req.method !== 'POST' || path !== `${base}:predict`) return sendJson(res, 404, { error: `Servable not found for request: ${req.method} ${path}` });
      received.push({ headers: req.headers, body });
      const instances = (body as { instances?: unknown } | undefined)?.instances;
      if (!Array.isArray(instances)) return sendJson(res, 400, { error: 'JSON Value: missing "instances" or "inputs"' });
      for (const [k, r] of instances.entries()) {
        if (!Array.isArray(r) || r.length !== width || r.some((v) => typeof v !== 'number')) {
          return sendJson(res, 400, { error: `instance ${k}: expected ${width} floats` });
        }
      }
      if (!(await inferenceGate(knobs, res, () => ({ error: 'injected failure' })))) return;
      const predictions = (instances as number[][]).map((r) => {
        const p = probabilityOf(model, r);
        return [wrongRow(knobs, counter) ? 1 - p : p];
      });
      sendJson(res, 200, { predictions });
    },
    knobs,
    received,
  );
}
