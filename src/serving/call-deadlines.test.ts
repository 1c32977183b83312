import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallDeadlines } from './call-deadlines.js';

describe('call deadlines', () => {
  it('aborts only calls that outlive the timeout, and forgets settled ones', async () => {
    const d = new CallDeadlines(30);
    const fast = d.open();
    const slow = d.open();
    d.settle(fast);
    assert.equal(d.pending, 1);
    await assert.rejects(slow.expired, (e: Error) => e.name === 'TimeoutError' && /longer than 30 ms/.test(e.message));
    assert.equal(slow.signal.aborted, true);
    assert.equal(fast.signal.aborted, false);
    d.settle(slow);
    assert.equal(d.pending, 0);
  });

  it('keeps no entries behind once calls settle in any order, and stays small under many calls', () => {
    const d = new CallDeadlines(60_000);
    const open = Array.from({ length: 5000 }, () => d.open());
    for (let i = open.length - 1; i >= 0; i--) d.settle(open[i]!);
    assert.equal(d.pending, 0);
    for (let i = 0; i < 100_000; i++) d.settle(d.open());
    assert.equal(d.pending, 0);
  });

  it('a settled call is never aborted later', async () => {
    const d = new CallDeadlines(10);
    const call = d.open();
    d.settle(call);
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(call.signal.aborted, false);
  });
});
