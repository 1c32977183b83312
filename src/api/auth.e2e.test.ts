import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pino from 'pino';
import { adminTokenPath, createApp } from '../app/index.js';
import { freePort, spawnServer } from '../test-support/server-process.js';
import { startTestServer } from '../test-support/test-server.js';

const TOKEN = 'test-admin-token-0123456789abcdef';
const OPEN_WRITES = ['POST /predict', 'POST /v1/models/:name/predict', 'POST /v1/feedback', 'POST /v2/models/:name/infer', 'POST /v2/models/:name/versions/:version/infer'];
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'coalmine-auth-'));
  dirs.push(d);
  return d;
};

/** A concrete path for a route pattern. */
const concrete = (url: string) => url.replace(':name', 'churn').replace(':version', '2').replace(':n', '50').replace(':flag', '1').replace(':command', 'pause');

describe('admin token', () => {
  it('guards every admin route, and only those, when a token is set', async () => {
    const s = await startTestServer({ overrides: { adminToken: TOKEN } });
    try {
      const routes = s.app.http.routeAccess;
      const writes = routes.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
      assert.ok(writes.length >= 20, 'the route table is filled in');
      for (const r of writes) assert.equal(r.access, OPEN_WRITES.includes(`${r.method} ${r.url}`) ? 'open' : 'admin', `${r.method} ${r.url}`);

      const before = (await s.request('GET', '/v1/models/churn')).json;
      for (const r of writes.filter((w) => w.access === 'admin')) {
        for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: TOKEN }] as Record<string, string>[]) {
          const res = await s.request(r.method, concrete(r.url), {}, headers);
          assert.equal(res.status, 401, `${r.method} ${r.url} with ${JSON.stringify(headers)}`);
          assert.equal(res.json.error.code, 'unauthorized');
        }
      }
      const after = (await s.request('GET', '/v1/models/churn')).json;
      assert.deepEqual(after, before, 'refused calls changed nothing');
      const events = (await s.request('GET', '/v1/models/churn/events')).json;
      assert.ok(events.events.every((e: { action: string }) => e.action === 'register' || e.action === 'deploy' || e.action === 'create'), JSON.stringify(events.events.map((e: { action: string }) => e.action)));

      const raw = await fetch(`${s.url}/v1/models/churn/traffic`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"canary_weight": 30}' });
      assert.equal(raw.headers.get('www-authenticate'), 'Bearer realm="coalmine"');
      const ok = await s.request('PUT', '/v1/models/churn/traffic', { canary_weight: 30 }, { authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.canary_weight, 30);

      // Predictions, feedback, reads and health stay open.
      const p = await s.request('POST', '/v1/models/churn/predict', { features: [0.5, 1.2, 0.8, 0.3, 1.1] });
      assert.equal(p.status, 200);
      assert.equal((await s.request('POST', '/v1/feedback', { request_id: p.json.request_id, label: 1 })).status, 200);
      assert.equal((await s.request('GET', '/v1/models')).status, 200);
      assert.equal((await s.request('GET', '/healthz')).status, 200);
    } finally {
      await s.close();
    }
  });

  it('guards reads too when asked, but never health checks', async () => {
    const s = await startTestServer({ overrides: { adminToken: TOKEN, protectReads: true } });
    try {
      for (const path of ['/v1/models', '/v1/models/churn/metrics', '/metrics', '/v1/stream', '/v1/info']) {
        const res = await s.request('GET', path);
        assert.equal(res.status, 401, path);
        assert.match(res.json.error.message, /COALMINE_PROTECT_READS/);
      }
      assert.equal((await s.request('GET', '/v1/models', undefined, { authorization: `Bearer ${TOKEN}` })).status, 200);
      assert.equal((await s.request('GET', '/healthz')).status, 200);
      assert.equal((await s.request('GET', '/readyz')).status, 200);
      assert.equal((await s.request('POST', '/predict', { features: [0.5, 1.2, 0.8, 0.3, 1.1] })).status, 200);
      // The Open Inference Protocol routes: metadata is a read, health and infer stay open.
      const meta = await s.request('GET', '/v2/models/churn');
      assert.equal(meta.status, 401);
      assert.match(meta.json.error, /COALMINE_PROTECT_READS/, 'in the protocol\'s error shape');
      assert.equal((await s.request('GET', '/v2/health/ready')).status, 200);
      const infer = await s.request('POST', '/v2/models/churn/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: [0.5, 1.2, 0.8, 0.3, 1.1] }] });
      assert.equal(infer.status, 200, JSON.stringify(infer.json));
    } finally {
      await s.close();
    }
  });

  it('refuses to listen beyond loopback without a token, and can generate one', async () => {
    const dataDir = tempDir();
    const logger = pino({ level: 'silent' });
    await assert.rejects(createApp({ host: '0.0.0.0', port: 0, dataDir, adminToken: null }, { logger }), /COALMINE_ADMIN_TOKEN[\s\S]*--generate-token/);
    await assert.rejects(createApp({ host: '0.0.0.0', port: 0, dataDir, adminToken: 'short' }, { logger }), /at least 16 characters/);

    const generated = await createApp({ host: '0.0.0.0', port: 0, dataDir, adminToken: null }, { logger, generateAdminToken: true });
    const token = generated.adminToken;
    await generated.close();
    assert.ok(token && token.length >= 40);
    assert.equal(statSync(adminTokenPath(dataDir)).mode & 0o777, 0o600, 'only its owner may read the token file');
    // The next start reads the same file (and --generate-token never replaces it).
    const again = await createApp({ host: '0.0.0.0', port: 0, dataDir, adminToken: null }, { logger, generateAdminToken: true });
    assert.equal(again.adminToken, token);
    await again.close();
    const env = await createApp({ host: '0.0.0.0', port: 0, dataDir, adminToken: TOKEN }, { logger });
    assert.equal(env.adminToken, TOKEN, 'COALMINE_ADMIN_TOKEN wins over the file');
    await env.close();
  });

  it('the CLI sends the token from the data directory or --token', async () => {
    const dataDir = tempDir();
    writeFileSync(adminTokenPath(dataDir), `${TOKEN}\n`, { mode: 0o600 });
    const server = await spawnServer(dataDir, await freePort(), ['--examples']);
    const cli = (env: Record<string, string>, ...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../cli/main.ts', import.meta.url)), '--url', server.url, ...args], { env: { ...process.env, NO_COLOR: '1', COALMINE_ADMIN_TOKEN: '', ...env } }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    try {
      const noToken = await cli({ COALMINE_DATA_DIR: tempDir() }, 'canary', '30');
      assert.notEqual(noToken.code, 0);
      assert.match(noToken.out, /needs the admin token/);
      const fromFile = await cli({ COALMINE_DATA_DIR: dataDir }, 'canary', '30');
      assert.equal(fromFile.code, 0, fromFile.out);
      const fromFlag = await cli({ COALMINE_DATA_DIR: tempDir() }, '--token', TOKEN, 'canary', '40');
      assert.equal(fromFlag.code, 0, fromFlag.out);
      const model = (await (await fetch(`${server.url}/v1/models/churn`)).json()) as { canary_weight: number };
      assert.equal(model.canary_weight, 40);
    } finally {
      await server.kill('SIGTERM');
    }
  });
});

describe('rate limit', () => {
  it('is off by default, and when set answers excess predictions with 429 and leaves other routes alone', async () => {
    const s = await startTestServer({ overrides: { rateLimitPerSecond: 5 } });
    try {
      const body = { features: [0.5, 1.2, 0.8, 0.3, 1.1] };
      const replies = [];
      for (let i = 0; i < 12; i++) replies.push(await s.request('POST', '/predict', body));
      const limited = replies.filter((r) => r.status === 429);
      assert.equal(replies.filter((r) => r.status === 200).length, 5);
      assert.equal(limited.length, 7);
      assert.equal(limited[0]!.json.error.code, 'rate_limited');
      assert.match(limited[0]!.json.error.message, /more than 5 predictions per second from 127\.0\.0\.1/);
      const res = await fetch(`${s.url}/v1/models/churn/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      for (let i = 0; i < 10; i++) assert.equal((await s.request('GET', '/v1/models/churn')).status, 200, 'reads are not limited');
      const m = (await s.request('GET', '/v1/models/churn/metrics')).json;
      assert.equal(m.variants.stable.requests + m.variants.canary.requests, 5, 'refused requests are not counted');
    } finally {
      await s.close();
    }
    const open = await startTestServer();
    try {
      for (let i = 0; i < 30; i++) assert.equal((await open.request('POST', '/predict', { features: [0.5, 1.2, 0.8, 0.3, 1.1] })).status, 200);
    } finally {
      await open.close();
    }
  });
});
