import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, spawnServer } from '../test-support/server-process.js';
import { startTestServer } from '../test-support/test-server.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const body = { features: [0.5, 1.2, 0.8, 0.3, 1.1] };

describe('resilience', () => {
  it('a canary slower than the timeout is a model error, answered by stable unless fallback is off', async () => {
    // A 100 ms timeout against a 1 s canary: stable's own call, after the canary times out, must fit
    // in the timeout too, and 40 ms was too tight for a CI machine running other test files.
    const s = await startTestServer({ overrides: { predictTimeoutMs: 100 } });
    try {
      await s.request('PUT', '/v1/models/churn/traffic', { canary_weight: 100 });
      await s.request('POST', '/v1/models/churn/faults', { variant: 'canary', delay_ms: 1000 });
      const replies = await Promise.all(Array.from({ length: 20 }, () => s.request('POST', '/predict', body)));
      assert.ok(replies.every((r) => r.status === 200 && r.json.fallback === true && r.json.version === 1), `stable answered every request: ${JSON.stringify(replies.filter((r) => r.status !== 200 || r.json.fallback !== true).slice(0, 2))}`);
      assert.ok(replies.every((r) => r.json.latency_ms < 600), 'the caller waited for the timeout, not for the slow canary');
      const m = (await s.request('GET', '/v1/models/churn/metrics')).json;
      assert.equal(m.variants.canary.errors, 20, 'each timeout counts against the canary');
      const forced = await s.request('POST', '/predict', body, { 'x-coalmine-variant': 'canary' });
      assert.equal(forced.status, 500);
      assert.equal(forced.json.error.code, 'model_error');
      assert.equal(forced.json.error.message, 'canary version 2 of "churn" failed: the model call took longer than 100 ms');
    } finally {
      await s.close();
    }
    const strict = await startTestServer({ overrides: { predictTimeoutMs: 100, fallback: false } });
    try {
      await strict.request('PUT', '/v1/models/churn/traffic', { canary_weight: 100 });
      await strict.request('POST', '/v1/models/churn/faults', { variant: 'canary', delay_ms: 1000 });
      const r = await strict.request('POST', '/predict', body);
      assert.equal(r.status, 500, 'with COALMINE_FALLBACK=false the caller sees the model error');
      assert.equal(r.json.error.code, 'model_error');
    } finally {
      await strict.close();
    }
  });

  it('a missing model file at start marks that version failed and serves the rest', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-missing-'));
    dirs.push(dataDir);
    let s = await startTestServer({ dataDir, keepDataDir: true });
    const v2 = (await s.request('GET', '/v1/models/churn')).json.versions[1];
    await s.close();
    rmSync(join(dataDir, 'models', `churn-${v2.sha256.slice(0, 16)}.onnx`));
    s = await startTestServer({ dataDir, keepDataDir: true });
    try {
      const view = (await s.request('GET', '/v1/models/churn')).json;
      assert.equal(view.versions[1].status, 'failed');
      assert.match(view.versions[1].load_error, /its file .*churn-.*\.onnx is missing/);
      assert.equal((await s.request('GET', '/readyz')).status, 503);
      const replies = await Promise.all(Array.from({ length: 30 }, () => s.request('POST', '/predict', body)));
      assert.ok(replies.every((r) => r.status === 200 && r.json.version === 1));
    } finally {
      await s.close();
    }
  });

  it('SIGTERM finishes requests in flight, flushes their telemetry, and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'coalmine-term-'));
    dirs.push(dataDir);
    const port = await freePort();
    let server = await spawnServer(dataDir, port, ['--examples']);
    await fetch(`${server.url}/v1/models/churn/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ variant: 'canary', delay_ms: 700 }) });
    const inflight = Array.from({ length: 10 }, () =>
      fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-coalmine-variant': 'canary' }, body: JSON.stringify(body) }).then((r) => r.status),
    );
    await new Promise((r) => setTimeout(r, 200));
    const stopping = Date.now();
    const exited = server.kill('SIGTERM');
    const statuses = await Promise.all(inflight);
    assert.deepEqual(statuses, Array(10).fill(200), 'every request in flight was answered');
    assert.equal(await exited, 0);
    // Not held open by the keep-alive connections those requests used (that once took 72 s).
    assert.ok(Date.now() - stopping < 5000, `shutdown took ${Date.now() - stopping} ms`);
    server = await spawnServer(dataDir, port);
    try {
      const m = (await (await fetch(`${server.url}/v1/models/churn/metrics?window=1h`)).json()) as { variants: { canary: { forced_requests: number } } };
      assert.equal(m.variants.canary.forced_requests, 10, 'their telemetry was written before exit');
    } finally {
      await server.kill('SIGTERM');
    }
  });
});
