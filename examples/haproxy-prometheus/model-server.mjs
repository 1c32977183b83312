#!/usr/bin/env node
// A stand-in for the model servers a team already runs (Triton, MLServer, KServe): the Open
// Inference Protocol's REST routes for one model, "churn", a logistic model over 5 features.
// Usage: node model-server.mjs <port> [--fail 0.3] [--slow-ms 40]
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8001);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const failRate = arg('--fail', 0);
const slowMs = arg('--slow-ms', 0);
const weights = [1.2, -0.8, 0.5, -0.3, 0.9];
let served = 0;

const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const path = req.url.split('?')[0];
    if (path === '/v2/health/live' || path === '/v2/health/ready' || path === '/v2/models/churn/ready') return send(res, 200, {});
    if (req.method === 'GET' && path === '/v2/models/churn') {
      return send(res, 200, {
        name: 'churn',
        platform: 'example',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 5] }],
        outputs: [{ name: 'probability', datatype: 'FP32', shape: [-1, 2] }, { name: 'label', datatype: 'INT64', shape: [-1] }],
      });
    }
    if (req.method !== 'POST' || path !== '/v2/models/churn/infer') return send(res, 404, { error: `no route ${req.method} ${path}` });
    if (slowMs > 0) await new Promise((r) => setTimeout(r, slowMs));
    // Spread evenly, so a 30% failure rate is 30% of every stretch of requests.
    served++;
    if (failRate > 0 && (served * 0.6180339887) % 1 < failRate) return send(res, 500, { error: 'injected failure' });
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return send(res, 400, { error: 'the body is not JSON' });
    }
    const input = body.inputs?.[0];
    if (!input || !Array.isArray(input.data)) return send(res, 400, { error: 'inputs[0].data is required' });
    const flat = input.data.flat(Infinity);
    const rows = [];
    for (let i = 0; i + 5 <= flat.length; i += 5) rows.push(flat.slice(i, i + 5));
    const p = rows.map((r) => 1 / (1 + Math.exp(-r.reduce((a, x, j) => a + x * weights[j], 0))));
    send(res, 200, {
      model_name: 'churn',
      id: body.id,
      outputs: [
        { name: 'probability', datatype: 'FP32', shape: [rows.length, 2], data: p.flatMap((q) => [1 - q, q]) },
        { name: 'label', datatype: 'INT64', shape: [rows.length], data: p.map((q) => (q >= 0.5 ? 1 : 0)) },
      ],
    });
  });
}).listen(port, '127.0.0.1', () => console.log(`model server on http://127.0.0.1:${port}/v2/models/churn${failRate ? ` (failing ${failRate * 100}%)` : ''}`));
