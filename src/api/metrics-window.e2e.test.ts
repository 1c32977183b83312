import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { churnRows } from '../examples/index.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describe('metrics report per version, for the current routing by default', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const send = async (n: number, seed: number) => {
    const rows = churnRows(n, seed);
    await Promise.all(rows.map((r) => s.request('POST', '/v1/models/churn/predict', { features: r.features, label: r.label })));
    await s.app.flush();
  };

  it('after a promote and a new deploy, the default window holds only the versions serving now', async () => {
    await send(200, 11);
    assert.equal((await s.request('POST', '/v1/models/churn/promote')).status, 200);
    await send(50, 12);
    assert.equal((await s.request('POST', '/v1/models/churn/deploy', { version: 1, weight: 50 })).status, 200);
    await send(200, 13);
    const m = (await s.request('GET', '/v1/models/churn/metrics')).json;
    assert.deepEqual(m.variants.stable.versions, [2]);
    assert.deepEqual(m.variants.canary.versions, [1]);
    assert.deepEqual(m.by_version.map((r: { variant: string; version: number }) => `${r.variant} v${r.version}`), ['stable v2', 'canary v1']);
    assert.equal(m.variants.stable.requests + m.variants.canary.requests, 200, 'only traffic since the deploy');

    const all = (await s.request('GET', '/v1/models/churn/metrics?window=1h')).json;
    const rows = all.by_version.map((r: { variant: string; version: number; role_now: string | null; requests: number }) => [r.variant, r.version, r.role_now]);
    assert.deepEqual(rows, [['stable', 1, 'canary'], ['stable', 2, 'stable'], ['canary', 1, 'canary'], ['canary', 2, 'stable']], 'over a longer window, each version has its own row');
    assert.equal(all.by_version.reduce((n: number, r: { requests: number }) => n + r.requests, 0), 450);
  });
});
