import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { buildChurnExamples, churnRows } from './index.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('example churn models', () => {
  const [v1, v2] = buildChurnExamples();

  it('are deterministic: same data, same bytes', () => {
    assert.deepEqual(churnRows(5), churnRows(5));
    const [again1, again2] = buildChurnExamples();
    assert.equal(sha(again1.bytes), sha(v1.bytes));
    assert.equal(sha(again2.bytes), sha(v2.bytes));
  });

  it('put v1 near 90% held-out accuracy and v2 a few points higher', () => {
    const a1 = v1.metrics.accuracy!;
    const a2 = v2.metrics.accuracy!;
    assert.ok(a1 >= 0.87 && a1 <= 0.92, `v1 ${a1}`);
    assert.ok(a2 - a1 >= 0.03, `v2 ${a2} vs v1 ${a1}`);
    // The lab's 40% wrong answers take v2 far below the 85% threshold.
    assert.ok(a2 * 0.6 + (1 - a2) * 0.4 < 0.7);
  });

  it('have balanced enough labels that accuracy means something', () => {
    const rows = churnRows(4000);
    const positive = rows.filter((r) => r.label === 1).length / rows.length;
    assert.ok(positive > 0.3 && positive < 0.7, `positive rate ${positive}`);
  });
});
