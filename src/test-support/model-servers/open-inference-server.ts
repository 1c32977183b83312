import { defaultKnobs, inferenceGate, listen, probabilityOf, sendJson, wrongRow, type RunningServer, type TestModel } from './test-model.js';

/**
 * A model server speaking the Open Inference Protocol's REST API (KServe V2), written from its
 * specification (kserve/open-inference-protocol, rest_predict_v2.yaml) rather than from
 * coalmine's client: server and model health, model metadata, and infer with FP32 tensors.
 * The model answers `probability` FP32 [N, 2] and `label` INT64 [N].
 */
export async function startOpenInferenceServer(model: TestModel, opts: { version?: string } = {}): Promise<RunningServer> {
  const knobs = defaultKnobs();
  const received: RunningServer['received'] = [];
  const counter = { n: 0 };
  const base = `/v2/models/${model.name}`;
  const paths = new Set([base, ...(opts.version ? [`${base}/versions/${opts.version}`] : [])]);
  const metadata = {
    name: model.name,
    versions: opts.version ? [opts.version] : [],
    platform: 'test_logistic',
    inputs: model.inputs.map((i) => ({ name: i.name, datatype: 'FP32', shape: [-1, i.width] })),
    outputs: [
      { name: 'probability', datatype: 'FP32', shape: [-1, 2] },
      { name: 'label', datatype: 'INT64', shape: [-1] },
    ],
  };
  return listen(
    async (req, body, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && path === '/v2') return sendJson(res, 200, { name: 'test-oip', version: '1', extensions: [] });
      if (req.method === 'GET' && (path === '/v2/health/live' || path === '/v2/health/ready')) {
        return path.endsWith('live') || knobs.ready ? sendJson(res, 200, {}) : sendJson(res, 503, { error: 'not ready' });
      }
      const modelPath = [...paths].sort((a, b) => b.length - a.length).find((p) => path === p || path.startsWith(`${p}/`));
      if (!modelPath) return sendJson(res, 404, { error: `unknown model path ${path}` });
      const rest = path.slice(modelPath.length);
      if (req.method === 'GET' && rest === '') return sendJson(res, 200, metadata);
      if (req.method === 'GET' && rest === '/ready') return knobs.ready ? sendJson(res, 200, {}) : sendJson(res, 503, { error: 'model not ready' });
      if (req.method !== 'POST' || rest !== '/infer') return sendJson(res, 404, { error: `no route ${req.method} ${path}` });
      received.push({ headers: req.headers, body });
      const request = body as { id?: string; inputs?: { name: string; datatype: string; shape: number[]; data: unknown }[] } | undefined;
      if (!request || !Array.isArray(request.inputs)) return sendJson(res, 400, { error: 'inference request needs an inputs list' });
      let n = -1;
      const columns: number[][] = [];
      for (const spec of model.inputs) {
        const t = request.inputs.find((x) => x.name === spec.name);
        if (!t) return sendJson(res, 400, { error: `missing input '${spec.name}'` });
        if (t.datatype !== 'FP32') return sendJson(res, 400, { error: `input '${spec.name}' has datatype ${t.datatype}, expected FP32` });
        const data = (Array.isArray(t.data) ? t.data.flat(Infinity) : []) as unknown[];
        if (!Array.isArray(t.shape) || t.shape.length !== 2 || t.shape[1] !== spec.width) {
          return sendJson(res, 400, { error: `input '${spec.name}' has shape [${String(t.shape)}], expected [-1, ${spec.width}]` });
        }
        if (data.length !== t.shape[0]! * spec.width || data.some((v) => typeof v !== 'number')) {
          return sendJson(res, 400, { error: `input '${spec.name}': data does not match shape [${t.shape.join(', ')}]` });
        }
        if (n !== -1 && t.shape[0] !== n) return sendJson(res, 400, { error: 'inputs disagree on the batch size' });
        n = t.shape[0]!;
        columns.push(data as number[]);
      }
      if (!(await inferenceGate(knobs, res, () => ({ error: 'injected failure' })))) return;
      const probs: number[] = [];
      const labels: number[] = [];
      for (let r = 0; r < n; r++) {
        const flat = model.inputs.flatMap((spec, k) => columns[k]!.slice(r * spec.width, (r + 1) * spec.width));
        let p = probabilityOf(model, flat);
        if (wrongRow(knobs, counter)) p = 1 - p;
        probs.push(1 - p, p);
        labels.push(p >= 0.5 ? 1 : 0);
      }
      sendJson(res, 200, {
        model_name: model.name,
        ...(opts.version ? { model_version: opts.version } : {}),
        ...(request.id !== undefined ? { id: request.id } : {}),
        outputs: [
          { name: 'probability', datatype: 'FP32', shape: [n, 2], data: probs },
          { name: 'label', datatype: 'INT64', shape: [n], data: labels },
        ],
      });
    },
    knobs,
    received,
  );
}
