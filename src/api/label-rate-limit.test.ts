import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LabelRateLimiter } from './label-rate-limit.js';

describe('label rate limiter', () => {
  it('allows a burst up to the rate, then refills with time', () => {
    let t = 0;
    const l = new LabelRateLimiter(100, () => t);
    assert.equal(l.take('a', 60), 0);
    assert.equal(l.take('a', 40), 0);
    assert.equal(l.take('a', 10), 100, 'ten labels at 100/s are 100 ms away');
    assert.equal(l.waitFor('a'), 100, 'a refused client is refused before its next body is read');
    t += 100;
    assert.equal(l.waitFor('a'), 0);
    assert.equal(l.take('a', 10), 0);
    assert.equal(l.take('b', 100), 0, 'each client has its own bucket');
  });

  it('0 turns the limit off', () => {
    const l = new LabelRateLimiter(0, () => 0);
    for (let i = 0; i < 5; i++) assert.equal(l.take('a', 1_000_000), 0);
  });

  it('forgets clients whose buckets are full again', () => {
    let t = 0;
    const l = new LabelRateLimiter(10, () => t);
    for (let i = 0; i <= 10_001; i++) l.take(`c${i}`, 1);
    t += 10_000;
    l.take('new', 1);
    assert.equal(l.take('c0', 10), 0, 'an old client starts again with a full bucket');
    assert.equal(l.take('c0', 1), 100);
  });
});
