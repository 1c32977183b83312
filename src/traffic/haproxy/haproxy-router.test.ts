import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { haproxyUnavailable, startWeightedHaproxy, type WeightedHaproxy } from '../../test-support/haproxy.js';
import type { AppError } from '../../domain/index.js';
import { HaproxyRuntimeApi, parseServersState } from './haproxy-runtime-api.js';
import { HaproxyRouter } from './haproxy-router.js';
import { haproxyPlan } from './haproxy-weights.js';

const noHaproxy = haproxyUnavailable();

/** A server that answers every request with its name: which version a request reached. */
async function named(name: string): Promise<{ server: Server; address: string }> {
  const server = createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function tally(url: string, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await (await fetch(url)).text();
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

describe('HAProxy weights', () => {
  it('are the share of 256, at least 1 for a canary step and for stable below 100%', () => {
    assert.deepEqual([0, 2000, 5000, 10_000].map((bp) => [haproxyPlan(bp).stableWeight, haproxyPlan(bp).canaryWeight]), [[256, 0], [205, 51], [128, 128], [0, 256]]);
    assert.equal(haproxyPlan(2000).effectiveBp, 1992.19, '20% is 51/256 = 19.92%');
    assert.equal(haproxyPlan(1).canaryWeight, 1, '0.01% still sends the canary something');
    assert.equal(haproxyPlan(9999).stableWeight, 1, 'and 99.99% leaves stable something');
  });

  it('read "show servers state" by its column names', () => {
    const text = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord\n3 model 1 stable 127.0.0.1 2 0 205 256 12 1 0 0 0 0 0 0 - 8001 -\n3 model 2 canary 127.0.0.1 2 0 51 0 12 1 0 0 0 0 0 0 - 8002 -\n';
    assert.deepEqual(parseServersState(text), [
      { backend: 'model', server: 'stable', addr: '127.0.0.1', port: 8001, weight: 205, opState: 2, adminState: 0 },
      { backend: 'model', server: 'canary', addr: '127.0.0.1', port: 8002, weight: 51, opState: 2, adminState: 0 },
    ]);
    assert.throws(() => parseServersState('Unknown command.\n'), /not a "show servers state" answer/);
  });
});

for (const tcp of [false, true]) {
  describe(`HAProxy router against a real HAProxy (${tcp ? 'TCP' : 'unix'} stats socket)`, { skip: noHaproxy ?? false }, () => {
    let haproxy: WeightedHaproxy;
    const versions: Record<string, { server: Server; address: string }> = {};
    before(async () => {
      for (const v of ['v1', 'v2', 'v3']) versions[v] = await named(v);
      haproxy = await startWeightedHaproxy({ stable: versions.v1!.address, tcp });
    });
    after(async () => {
      await haproxy?.stop();
      for (const v of Object.values(versions)) v.server.close();
    });

    it('points the canary slot at a version, weighs it, verifies, and the traffic follows', async () => {
      const router = new HaproxyRouter({ socket: haproxy.socket, backend: 'model', servers: { stable: 'stable', canary: 'canary' } });
      const target = { stable: versions.v1!.address, canary: versions.v2!.address, canaryWeightBp: 2000 };
      assert.equal(await router.verify(target), false, 'not yet');
      const plan = await router.setWeights(target);
      assert.deepEqual([plan.stableWeight, plan.canaryWeight], [205, 51]);
      assert.equal(await router.verify(target), true);
      const state = await router.state();
      assert.equal(`${state.canary.addr}:${state.canary.port}`, versions.v2!.address, 'show servers state has the canary address');
      assert.equal(state.canary.weight, 51);
      const seen = await tally(haproxy.url, 512);
      // Round robin over weights 205:51 is deterministic: 102 of every 512 requests, give or take one turn.
      assert.ok(Math.abs((seen.v2 ?? 0) - 102) <= 3, `the canary gets 51/256 of the requests: ${JSON.stringify(seen)}`);
      assert.equal((seen.v1 ?? 0) + (seen.v2 ?? 0), 512);
    });

    it('moves the stable slot to the new version on promotion and leaves the canary slot without traffic', async () => {
      const router = new HaproxyRouter({ socket: haproxy.socket, backend: 'model', servers: { stable: 'stable', canary: 'canary' } });
      await router.setWeights({ stable: versions.v2!.address, canary: null, canaryWeightBp: 0 });
      assert.deepEqual(await tally(haproxy.url, 50), { v2: 50 });
      // The next canary takes the canary slot again.
      await router.setWeights({ stable: versions.v2!.address, canary: versions.v3!.address, canaryWeightBp: 5000 });
      const seen = await tally(haproxy.url, 100);
      assert.deepEqual(seen, { v2: 50, v3: 50 });
    });

    it('notices a weight someone changed by hand', async () => {
      const router = new HaproxyRouter({ socket: haproxy.socket, backend: 'model', servers: { stable: 'stable', canary: 'canary' } });
      const target = { stable: versions.v2!.address, canary: versions.v3!.address, canaryWeightBp: 5000 };
      assert.equal(await router.verify(target), true);
      await new HaproxyRuntimeApi(haproxy.socket).run('set server model/canary weight 7');
      assert.equal(await router.verify(target), false);
    });

    it('refuses a backend or server HAProxy does not have, naming what it has', async () => {
      const wrong = new HaproxyRouter({ socket: haproxy.socket, backend: 'model', servers: { stable: 'stable', canary: 'blue' } });
      await assert.rejects(wrong.setWeights({ stable: versions.v1!.address, canary: versions.v2!.address, canaryWeightBp: 1000 }), (err: AppError) => err.code === 'router_unavailable' && /has no server "blue" \(it has stable, canary\)/.test(err.message));
      const noBackend = new HaproxyRouter({ socket: haproxy.socket, backend: 'nope', servers: { stable: 'stable', canary: 'canary' } });
      await assert.rejects(noBackend.verify({ stable: versions.v1!.address, canary: null, canaryWeightBp: 0 }), (err: AppError) => err.code === 'router_unavailable' && /nope/.test(err.message));
    });
  });
}

describe('HAProxy router without a HAProxy', () => {
  it('says where it looked', async () => {
    const router = new HaproxyRouter({ socket: '/nonexistent/haproxy.sock', backend: 'model', servers: { stable: 'stable', canary: 'canary' } });
    await assert.rejects(router.verify({ stable: '127.0.0.1:1', canary: null, canaryWeightBp: 0 }), (err: AppError) => err.code === 'router_unavailable' && /\/nonexistent\/haproxy.sock/.test(err.message) && /level admin/.test(err.message));
  });
});
