import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, spawnServer } from '../test-support/server-process.js';
import { startTestServer } from '../test-support/test-server.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'coalmine-ops-'));
  dirs.push(d);
  return d;
};

describe('operations', () => {
  it('walks deploy → weight → rollback → reset → promote and keeps it all across a restart', async () => {
    const dataDir = tempDir();
    let s = await startTestServer({ dataDir, keepDataDir: true });
    const get = async () => (await s.request('GET', '/v1/models/churn')).json;
    assert.equal((await get()).canary_weight, 20, 'the example canary starts at the lab default of 20%');

    const weighted = await s.request('PUT', '/v1/models/churn/traffic', { weights: { stable: 0.995, canary: 0.005 } });
    assert.equal(weighted.status, 200);
    assert.equal(weighted.json.canary_weight, 0.5);

    const rolled = await s.request('POST', '/v1/models/churn/rollback', { reason: 'accuracy too low' });
    assert.equal(rolled.json.canary_version, null);
    assert.equal(rolled.json.canary_weight, 0);
    assert.equal(rolled.json.last_canary_version, 2);
    const stableOnly = await s.request('POST', '/v1/models/churn/predict', { features: [1, 1, 1, 1, 1] });
    assert.equal(stableOnly.json.variant, 'stable');

    const reset = await s.request('POST', '/v1/models/churn/reset');
    assert.equal(reset.json.canary_version, 2);
    assert.equal(reset.json.canary_weight, 20);

    const deployed = await s.request('POST', '/v1/models/churn/deploy', { version: 'v2', weight: 35 });
    assert.equal(deployed.json.canary_weight, 35);
    const defaultWeight = await s.request('POST', '/v1/models/churn/deploy', { version: 2 });
    assert.equal(defaultWeight.json.canary_weight, 20, 'deploy without a weight uses the default canary percentage, as reset does');

    await s.close();
    s = await startTestServer({ dataDir, keepDataDir: true, examples: true });
    const restarted = await get();
    assert.equal(restarted.canary_version, 2);
    assert.equal(restarted.canary_weight, 20);
    assert.equal(restarted.versions.length, 2, 'example models are not registered twice');

    const promoted = await s.request('POST', '/v1/models/churn/promote');
    assert.equal(promoted.json.stable_version, 2);
    assert.equal(promoted.json.previous_stable_version, 1);
    assert.equal(promoted.json.canary_version, null);
    const served = await s.request('POST', '/v1/models/churn/predict', { features: [1, 1, 1, 1, 1] });
    assert.equal(served.json.version, 2);

    const events = (await s.request('GET', '/v1/models/churn/events?limit=3')).json.events;
    assert.deepEqual(events.map((e: { action: string }) => e.action), ['promote', 'deploy', 'deploy']);
    assert.match(events[0].reason, /promoted canary v2 to stable \(previous stable v1\)/);
    const all = (await s.request('GET', '/v1/models/churn/events')).json.events;
    assert.ok(all.some((e: { reason: string }) => /accuracy too low/.test(e.reason)), 'the rollback reason is kept');
    await s.close();
  });

  it('loses no acknowledged change when the process is killed with SIGKILL', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    let server = await spawnServer(dataDir, port, ['--examples']);
    const weights = [5, 12.5, 33, 0.25, 64];
    for (const pct of weights) {
      const res = await fetch(`${server.url}/v1/models/churn/traffic`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ canary_weight: pct }),
      });
      assert.equal(res.status, 200);
    }
    await server.kill('SIGKILL');
    server = await spawnServer(dataDir, port);
    try {
      const model = (await (await fetch(`${server.url}/v1/models/churn`)).json()) as { canary_weight: number; revision: number };
      assert.equal(model.canary_weight, 64);
      const events = (await (await fetch(`${server.url}/v1/models/churn/events?limit=100`)).json()) as { events: { action: string }[] };
      assert.equal(events.events.filter((e) => e.action === 'set_weight').length, weights.length);
      const p = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"features":[1,1,1,1,1]}' });
      assert.equal(p.status, 200);
    } finally {
      await server.kill('SIGTERM');
    }
  });

  it('stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const server = await spawnServer(dataDir, port, ['--examples']);
    assert.equal(await server.kill('SIGTERM'), 0);
  });
});

describe('a corrupt model file at start', () => {
  it('marks that version failed with the reason, serves the rest, and reports not ready', async () => {
    const dataDir = tempDir();
    let s = await startTestServer({ dataDir, keepDataDir: true });
    const model = (await s.request('GET', '/v1/models/churn')).json;
    const canaryFile = model.versions[1].sha256.slice(0, 16);
    await s.close();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dataDir, 'models', `churn-${canaryFile}.onnx`), 'this is no longer a model');

    s = await startTestServer({ dataDir, keepDataDir: true });
    try {
      const ready = await s.request('GET', '/readyz');
      assert.equal(ready.status, 503);
      assert.match(ready.json.problems[0], /churn v2: /);
      const view = (await s.request('GET', '/v1/models/churn')).json;
      assert.equal(view.versions[1].status, 'failed');
      assert.equal(typeof view.versions[1].load_error, 'string');
      assert.equal(view.versions[0].status, 'ready');
      const replies = await Promise.all(Array.from({ length: 100 }, () => s.request('POST', '/predict', { features: [1, 1, 1, 1, 1] })));
      assert.ok(replies.every((r) => r.status === 200 && r.json.variant === 'stable' && r.json.version === 1), 'stable answers for the broken canary');
      const forced = await s.request('POST', '/predict', { features: [1, 1, 1, 1, 1] }, { 'x-coalmine-variant': 'canary' });
      assert.equal(forced.status, 503);
      assert.equal(forced.json.error.code, 'model_unavailable');
      const redeploy = await s.request('POST', '/v1/models/churn/deploy', { version: 2 });
      assert.equal(redeploy.status, 503, 'a version that cannot load is not deployed');
      assert.equal((await s.request('POST', '/v1/models/churn/rollback')).status, 200, 'the operator can still roll it back');
    } finally {
      await s.close();
    }
  });
});
