import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

/** A rollout that holds its first step for an hour: nothing but the operator moves it. */
const HOLDING = { canary: 2, steps: [10, 50], interval: '1h' };

describe('manual operations while a rollout steers the model', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const model = async () => (await s.request('GET', '/v1/models/churn')).json;
  const rollout = async () => (await s.request('GET', '/v1/models/churn/rollout')).json;
  const clean = async () => {
    const r = await s.request('GET', '/v1/models/churn/rollout');
    if (r.status === 200 && !['succeeded', 'rolled_back', 'failed'].includes(r.json.phase)) await s.request('POST', '/v1/models/churn/rollout/abort');
  };

  it('weight, deploy, promote and reset are 409s that name the rollout and the command to use', async () => {
    await clean();
    const started = await s.request('POST', '/v1/models/churn/rollout', HOLDING);
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const id = (started.json.id as string).slice(0, 8);
    await s.request('POST', '/v1/models/churn/faults', { variant: 'stable', delay_ms: 1 });
    const attempts: [string, string, unknown?][] = [
      ['PUT', '/v1/models/churn/traffic', { canary_weight: 50 }],
      ['POST', '/set_canary/50'],
      ['POST', '/v1/models/churn/deploy', { version: 2, weight: 30 }],
      ['POST', '/v1/models/churn/promote'],
      ['POST', '/admin/promote-canary'],
      ['POST', '/admin/deploy-canary', { model_path: 'churn@2' }],
      ['POST', '/v1/models/churn/reset'],
      ['POST', '/reset'],
    ];
    for (const [method, path, body] of attempts) {
      const r = await s.request(method, path, body);
      assert.equal(r.status, 409, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, 'rollout_active');
      assert.match(r.json.error.message, new RegExp(`rollout ${id} \\(v2, progressing, step 1/2 at 10%\\)`));
      assert.match(r.json.error.message, /coalmine rollout (promote|pause|abort)/);
    }
    const m = await model();
    assert.equal(m.canary_weight, 10);
    assert.equal(m.stable_version, 1);
    assert.deepEqual(Object.keys(m.faults), ['stable'], 'a refused reset cleared nothing');
    await s.app.rollouts.tickAll();
    assert.equal((await rollout()).phase, 'progressing');
    await s.request('POST', '/v1/models/churn/faults', { clear: true });
  });

  for (const [path, body, why] of [
    ['/admin/rollback-canary', undefined, 'admin/rollback-canary'],
    ['/v1/models/churn/rollback', { reason: 'pager went off' }, 'pager went off'],
  ] as const) {
    it(`a rollback through ${path} wins: it aborts the rollout, and the controller does not redeploy`, async () => {
      await clean();
      await s.request('POST', '/v1/models/churn/reset');
      assert.equal((await s.request('POST', '/v1/models/churn/rollout', HOLDING)).status, 201);
      const r = await s.request('POST', path, body);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const after = await rollout();
      assert.equal(after.phase, 'rolled_back');
      assert.equal(after.last_decision.action, 'rollback');
      assert.equal(after.last_decision.actor, 'user');
      assert.match(after.last_decision.reason, new RegExp(`aborted by user: ${why}`));
      for (let i = 0; i < 3; i++) await s.app.rollouts.tickAll();
      assert.equal((await model()).canary_version, null, 'still rolled back after reconcile passes');
    });
  }

  it('the lab check rolls back through the rollout too', async () => {
    await clean();
    await s.request('POST', '/v1/models/churn/reset');
    assert.equal((await s.request('POST', '/v1/models/churn/rollout', HOLDING)).status, 201);
    const r = await s.app.checks.checkRollback('churn', (name, reason) => s.app.manual.zeroCanary(name, reason));
    // With no traffic the lab check finds nothing to roll back; the operator path is what is tested here.
    assert.equal(r.rollback_triggered, false);
    await s.app.manual.zeroCanary('churn', 'check_rollback: accuracy');
    const after = await rollout();
    assert.equal(after.phase, 'rolled_back');
    assert.match(after.last_decision.reason, /aborted by user: check_rollback: accuracy/);
  });

  it('a canary fault needs a canary, and leaves with it', async () => {
    await clean();
    await s.request('POST', '/v1/models/churn/reset');
    assert.equal((await s.request('POST', '/simulate_failure/1')).status, 200);
    assert.equal((await s.request('POST', '/v1/models/churn/promote')).status, 200);
    const m = await model();
    assert.equal(m.canary_version, null);
    assert.deepEqual(m.faults, {}, 'the promoted canary took its fault with it');
    const refused = await s.request('POST', '/simulate_failure/1');
    assert.equal(refused.status, 409);
    assert.equal(refused.json.error.code, 'no_canary');
    assert.equal((await s.request('POST', '/v1/models/churn/faults', { variant: 'canary', wrong: 0.4 })).status, 409);
    const toggle = await s.request('POST', '/admin/toggle-slowdown');
    assert.equal(toggle.json.simulate_slowdown, false, 'with no canary the take-home toggle can only be off');
    assert.deepEqual((await model()).faults, {});
  });
});
