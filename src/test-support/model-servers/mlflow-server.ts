import { defaultKnobs, inferenceGate, listen, probabilityOf, sendJson, wrongRow, type RunningServer, type TestModel } from './test-model.js';

export type MlflowAnswer = 'labels' | 'probabilities' | 'records';

/**
 * MLflow's scoring server (`mlflow models serve`), written from MLflow's documentation of its REST
 * API: GET /ping, POST /invocations with dataframe_split, dataframe_records, instances or inputs,
 * answered with {"predictions": […]}; errors are {"error_code", "message"}. `answer` picks what a
 * pyfunc returns: class labels, per-class probabilities, or a DataFrame of records.
 */
export async function startMlflowServer(model: TestModel, answer: MlflowAnswer = 'probabilities'): Promise<RunningServer> {
  const knobs = defaultKnobs();
  const received: RunningServer['received'] = [];
  const counter = { n: 0 };
  const width = model.inputs.reduce((a, i) => a + i.width, 0);
  const bad = (res: Parameters<typeof sendJson>[0], message: string) => sendJson(res, 400, { error_code: 'BAD_REQUEST', message });
  return listen(
    async (req, body, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET' && (path === '/ping' || path === '/health')) {
        if (!knobs.ready) return sendJson(res, 503, { error_code: 'NOT_READY', message: 'model not loaded' });
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('\n');
      }
      if (req.method !== 'POST' || path !== '/invocations') return sendJson(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: `no ${req.method} ${path}` });
      received.push({ headers: req.headers, body });
      const b = body as Record<string, unknown> | undefined;
      let rows: number[][];
      if (b && typeof b.dataframe_split === 'object' && b.dataframe_split !== null) {
        const split = b.dataframe_split as { columns?: string[]; data?: unknown[][] };
        const names = model.inputs.map((i) => i.name);
        if (!Array.isArray(split.data)) return bad(res, 'dataframe_split needs data');
        const order = split.columns ? names.map((n) => split.columns!.indexOf(n)) : names.map((_, i) => i);
        if (order.some((i) => i < 0)) return bad(res, `dataframe_split columns ${JSON.stringify(split.columns)} miss one of ${names.join(', ')}`);
        rows = split.data.map((r) => order.map((i) => r[i] as number));
      } else if (b && Array.isArray(b.inputs)) {
        rows = b.inputs as number[][];
      } else if (b && Array.isArray(b.instances)) {
        rows = b.instances as number[][];
      } else if (b && Array.isArray(b.dataframe_records)) {
        rows = (b.dataframe_records as Record<string, number>[]).map((r) => model.inputs.map((i) => r[i.name]!));
      } else {
        return bad(res, 'Invalid input. The input must be a JSON dictionary with exactly one of the input fields {dataframe_split, dataframe_records, instances, inputs}');
      }
      for (const [k, r] of rows.entries()) {
        if (!Array.isArray(r) || r.length !== width || r.some((v) => typeof v !== 'number')) {
          return bad(res, `Failed to enforce schema of data: row ${k} must hold ${width} numbers`);
        }
      }
      if (!(await inferenceGate(knobs, res, (status) => ({ error_code: status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', message: 'injected failure' })))) return;
      const predictions = rows.map((r) => {
        let p = probabilityOf(model, r);
        if (wrongRow(knobs, counter)) p = 1 - p;
        if (answer === 'labels') return p >= 0.5 ? 1 : 0;
        if (answer === 'records') return { predicted_label: p >= 0.5 ? 1 : 0, probability: p };
        return [1 - p, p];
      });
      sendJson(res, 200, { predictions });
    },
    knobs,
    received,
  );
}
