import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSoak } from '../bench/soak.js';

describe('soak (short)', () => {
  it('serves every valid request while weights change, rollouts advance and faults flip', async () => {
    const r = await runSoak({ durationS: Number(process.env.COALMINE_SOAK_SECONDS ?? 10), connections: 8 });
    assert.equal(r.non2xx, 0, `non-2xx replies to valid requests`);
    assert.equal(r.socketErrors + r.timeouts, 0);
    assert.ok(r.requests > 1000, `${r.requests} requests`);
    const ops = Object.keys(r.operations).join(', ');
    assert.ok(Object.keys(r.operations).some((k) => k.startsWith('fault')), `faults flipped: ${ops}`);
    assert.ok(Object.keys(r.operations).some((k) => k.startsWith('rollout') || k === 'weight change' || k === 'deploy'), `routing moved: ${ops}`);
    assert.ok(r.rssMb.end > 0 && r.rssMb.peak >= r.rssMb.start);
  });
});
