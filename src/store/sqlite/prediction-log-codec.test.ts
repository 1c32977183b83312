import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PredictionLogEntry } from '../../domain/index.js';
import { decodeLogRows, encodeLogRows } from './prediction-log-codec.js';
import { toLogRow } from './prediction-log-rows.js';

const entry = (over: Partial<PredictionLogEntry>): PredictionLogEntry => ({
  requestId: '0193a8b2-7c3d-7e4f-8a1b-0123456789ab',
  row: 0,
  model: 'churn',
  variant: 'stable',
  version: 1,
  revision: 7,
  forced: false,
  createdAt: 1_763_790_000_123,
  prediction: 1,
  probability: 0.8123456789012345,
  label: null,
  labelledAt: null,
  ...over,
});

describe('prediction-log rows packed for the writer thread', () => {
  it('come back as exactly the INSERT values the main connection would write', () => {
    const entries = [
      entry({}),
      entry({ row: 3, variant: 'canary', version: 2, revision: 2 ** 40, forced: true, prediction: 0, probability: null, label: 1, labelledAt: 1_763_790_000_999 }),
      entry({ model: 'fraud-détection-✓', prediction: 'setosa', probability: null, label: 'virginica', labelledAt: 5 }),
      entry({ prediction: -1.5e-300, label: -0, labelledAt: 0 }),
      entry({ requestId: 'client-supplied id with ünïcode 🚀', prediction: '', label: '' }),
    ];
    const packed = encodeLogRows(entries);
    assert.ok(packed.length <= packed.buffer.byteLength);
    assert.deepEqual(decodeLogRows(packed), entries.map(toLogRow));
  });

  it('pack nothing into nothing, and many rows into one buffer', () => {
    assert.deepEqual(decodeLogRows(encodeLogRows([])), []);
    const many = Array.from({ length: 1000 }, (_, i) => entry({ row: i, createdAt: i }));
    const rows = decodeLogRows(encodeLogRows(many));
    assert.equal(rows.length, 1000);
    assert.deepEqual(rows[999], toLogRow(many[999]!));
  });
});
