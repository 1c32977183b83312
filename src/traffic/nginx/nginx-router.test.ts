import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AppError } from '../../domain/index.js';
import { freePort } from '../../test-support/server-process.js';
import { nginxUnavailable, startNginx, type RunningNginx } from '../../test-support/nginx.js';
import { NginxRouter } from './nginx-router.js';
import { nginxPlan, renderUpstream } from './nginx-upstream.js';

const noNginx = nginxUnavailable();

async function named(name: string): Promise<{ server: Server; address: string }> {
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One connection per request: a kept-alive one to a worker that a reload winds down may be closed under the request. */
const once = (url: string) =>
  new Promise<string>((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });

async function tally(url: string, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await once(url);
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

describe('nginx weights', () => {
  it('are the exact share in lowest terms, and a side at 0% is left out', () => {
    assert.deepEqual([2000, 50, 5000].map((bp) => [nginxPlan(bp).stableWeight, nginxPlan(bp).canaryWeight]), [[4, 1], [199, 1], [1, 1]]);
    const zero = renderUpstream({ upstream: 'm', model: 'churn', status: null, keepalive: 0 }, { stable: '10.0.0.1:80', canary: '10.0.0.2:80', canaryWeightBp: 0 });
    assert.doesNotMatch(zero, /10\.0\.0\.2/);
    const full = renderUpstream({ upstream: 'm', model: 'churn', status: null, keepalive: 0 }, { stable: '10.0.0.1:80', canary: '10.0.0.2:80', canaryWeightBp: 10_000 });
    assert.doesNotMatch(full, /10\.0\.0\.1/);
    assert.match(full, /server 10\.0\.0\.2:80 weight=1;/);
  });
});

describe('nginx router against a real nginx', { skip: noNginx ?? false }, () => {
  let nginx: RunningNginx;
  let status: string;
  const versions: Record<string, { server: Server; address: string }> = {};
  before(async () => {
    for (const v of ['v1', 'v2', 'v3']) versions[v] = await named(v);
    nginx = await startNginx({ upstream: 'model', initial: versions.v1!.address });
    status = `127.0.0.1:${await freePort()}`;
  });
  after(async () => {
    await nginx?.stop();
    for (const v of Object.values(versions)) v.server.close();
  });
  const router = () => new NginxRouter({ file: nginx.upstreamFile, upstream: 'model', test: nginx.test, reload: nginx.reload, status }, 'churn');

  it('writes the upstream, checks it, reloads, verifies what nginx serves, and the traffic follows', async () => {
    const target = { stable: versions.v1!.address, canary: versions.v2!.address, canaryWeightBp: 2000 };
    assert.equal(await router().verify(target), false, 'nothing served yet');
    const plan = await router().setWeights(target);
    assert.deepEqual([plan.stableWeight, plan.canaryWeight], [4, 1]);
    assert.equal(await router().verify(target), true);
    assert.match(readFileSync(nginx.upstreamFile, 'utf8'), new RegExp(`server ${versions.v2!.address} weight=1;`));
    // nginx's smooth weighted round robin is exact over each cycle of 5, once the old worker is gone.
    await nginx.settled();
    assert.deepEqual(await tally(nginx.url, 100), { v1: 80, v2: 20 });
  });

  it('serves the new version alone after a promotion', async () => {
    await router().setWeights({ stable: versions.v2!.address, canary: null, canaryWeightBp: 0 });
    await nginx.settled();
    assert.deepEqual(await tally(nginx.url, 20), { v2: 20 });
    await router().setWeights({ stable: versions.v2!.address, canary: versions.v3!.address, canaryWeightBp: 5000 });
    await nginx.settled();
    assert.deepEqual(await tally(nginx.url, 20), { v2: 10, v3: 10 });
  });

  it('puts the file back and keeps serving when nginx rejects the configuration', async () => {
    const before = readFileSync(nginx.upstreamFile, 'utf8');
    const broken = new NginxRouter({ file: nginx.upstreamFile, upstream: 'model', test: `${nginx.test} && false`, reload: nginx.reload, status }, 'churn');
    await assert.rejects(broken.setWeights({ stable: versions.v1!.address, canary: versions.v3!.address, canaryWeightBp: 1000 }), (err: AppError) => err.code === 'router_unavailable' && /put back as it was/.test(err.message));
    assert.equal(readFileSync(nginx.upstreamFile, 'utf8'), before);
    assert.equal(await router().verify({ stable: versions.v2!.address, canary: versions.v3!.address, canaryWeightBp: 5000 }), true, 'nginx still serves the last good upstream');
  });

  it('refuses an endpoint that is not host:port', async () => {
    await assert.rejects(router().setWeights({ stable: 'http://x/', canary: null, canaryWeightBp: 0 }), (err: AppError) => err.code === 'invalid_request' && /host:port/.test(err.message));
  });

  it('cannot verify without a status address, and says so with null', async () => {
    const blind = new NginxRouter({ file: nginx.upstreamFile, upstream: 'model', test: nginx.test, reload: nginx.reload }, 'churn');
    assert.equal(await blind.verify({ stable: versions.v2!.address, canary: versions.v3!.address, canaryWeightBp: 5000 }), null);
  });
});
