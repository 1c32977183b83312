import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestIdTimePrefix, type PredictionLogEntry } from '../../domain/index.js';
import { decodeLogRows, encodeLogRows, findLogRow, packedBytes, SLOT_MS, slotOf, splitBySlot } from './prediction-log-codec.js';

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

const T0 = 1_763_790_000_000;
/** A UUIDv7 made at `ms`; `n` tells apart ids of the same millisecond. */
const idAt = (ms: number, n = 0) => `${requestIdTimePrefix(ms)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
const pack = (entries: readonly PredictionLogEntry[]) => packedBytes(encodeLogRows(entries));

const odd = [
  entry({}),
  entry({ row: 3, variant: 'canary', version: 2, revision: 2 ** 40, forced: true, prediction: 0, probability: null, label: 1, labelledAt: 1_763_790_000_999 }),
  entry({ row: 4, model: 'fraud-détection-✓', prediction: 'setosa', probability: null, label: 'virginica', labelledAt: 5 }),
  entry({ row: 5, prediction: -1.5e-300, label: -0, labelledAt: 0 }),
  entry({ requestId: 'not a uuid, with ünïcode 🚀', prediction: '', label: '' }),
];

describe('packed prediction-log rows', () => {
  it('come back exactly as they were packed, whatever the values', () => {
    const packed = encodeLogRows(odd);
    assert.ok(packed.length <= packed.buffer.byteLength);
    assert.deepEqual(decodeLogRows(packedBytes(packed)), odd);
  });

  it('pack nothing into nothing, and many rows into one buffer', () => {
    assert.deepEqual(decodeLogRows(pack([])), []);
    const many = Array.from({ length: 1000 }, (_, i) => entry({ row: i, createdAt: i }));
    const rows = decodeLogRows(pack(many));
    assert.equal(rows.length, 1000);
    assert.deepEqual(rows[999], many[999]);
  });

  it('give up one row by request id and row, and nothing for a key they do not hold', () => {
    const data = pack(odd);
    for (const e of odd) assert.deepEqual(findLogRow(data, Buffer.from(e.requestId), e.row), e);
    assert.equal(findLogRow(data, Buffer.from(odd[0]!.requestId), 1), undefined);
    assert.equal(findLogRow(data, Buffer.from(odd[0]!.requestId.slice(0, 35)), 0), undefined, 'a prefix of an id is not the id');
    assert.equal(findLogRow(data, Buffer.from(`${odd[0]!.requestId}0`), 0), undefined, 'nor is a longer id');
    assert.equal(findLogRow(pack([]), Buffer.from('x'), 0), undefined);
  });
});

describe('splitting packed rows by slot', () => {
  it('puts each row in the slot of its id time, keeping their order, with counts and the newest created_at', () => {
    const rows = [
      entry({ requestId: idAt(T0 + 1), createdAt: T0 + 5 }),
      entry({ requestId: idAt(T0 + 25), createdAt: T0 + 26 }),
      entry({ requestId: idAt(T0 + 2, 1), createdAt: T0 + 30 }),
      // A straggler: made long before the others, answered with them.
      entry({ requestId: idAt(T0 - 30_000), createdAt: T0 + 31 }),
      entry({ requestId: idAt(T0 + 2, 1), row: 1, createdAt: T0 + 30 }),
      entry({ requestId: 'not a uuid', createdAt: T0 + 40 }),
    ];
    const chunks = splitBySlot(pack(rows));
    const summary = chunks.map((c) => ({ slot: c.slot, first: `${c.firstRequestId}#${c.firstRow}`, rows: c.rows, maxCreatedAt: c.maxCreatedAt - T0 }));
    const slot = (ms: number) => Math.floor(ms / SLOT_MS);
    assert.deepEqual(summary, [
      { slot: slot(T0), first: `${idAt(T0 + 1)}#0`, rows: 3, maxCreatedAt: 30 },
      { slot: slot(T0 + 20), first: `${idAt(T0 + 25)}#0`, rows: 1, maxCreatedAt: 26 },
      { slot: slot(T0 - 30_000), first: `${idAt(T0 - 30_000)}#0`, rows: 1, maxCreatedAt: 31 },
      { slot: 0, first: 'not a uuid#0', rows: 1, maxCreatedAt: 40 },
    ]);
    assert.deepEqual(decodeLogRows(chunks[0]!.data), [rows[0], rows[2], rows[4]]);
    assert.deepEqual(chunks.flatMap((c) => decodeLogRows(c.data)).length, rows.length);
    assert.equal(slotOf(idAt(T0 + 25)), chunks[1]!.slot);
  });

  it('splits the same rows the same way every time, and leaves rows of one slot in one piece', () => {
    const rows = Array.from({ length: 256 }, (_, i) => entry({ requestId: idAt(T0 + (i >> 4), i), createdAt: T0 + 100 }));
    const a = splitBySlot(pack(rows));
    const b = splitBySlot(pack(rows));
    assert.deepEqual(a, b);
    assert.equal(a.length, 2);
    const whole = pack(rows.slice(0, 160));
    const [one] = splitBySlot(whole);
    assert.equal(one!.rows, 160);
    assert.equal(one!.data.byteLength, whole.byteLength);
  });
});
