import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throttledWarning } from './throttled-warning.js';

describe('throttled warning', () => {
  it('logs the first failure, then at most one line per interval with how many it left out', () => {
    let t = 0;
    const lines: [object, string][] = [];
    const warn = throttledWarning((obj, msg) => lines.push([obj, msg]), 30_000, () => t);
    for (t = 0; t <= 61_000; t += 1000) warn({ err: 'down' }, 'cannot read');
    assert.deepEqual(lines, [
      [{ err: 'down' }, 'cannot read'],
      [{ err: 'down', repeated: 29 }, 'cannot read'],
      [{ err: 'down', repeated: 29 }, 'cannot read'],
    ]);
  });
});
