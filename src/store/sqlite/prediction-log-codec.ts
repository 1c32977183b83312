import type { PredictionLogEntry } from '../../domain/index.js';
import { encodeValue, type LogRow } from './prediction-log-rows.js';

/**
 * Prediction-log rows packed into one ArrayBuffer for the writer thread. The buffer is
 * transferred, not copied: a structured clone of 256 row arrays cost the event loop ~0.5 µs per
 * row on a quiet machine and several µs under load, writing the same values here ~0.2 µs. The
 * writer thread turns them back into INSERT values (and JSON-encodes predictions there, off the
 * event loop). Hand-written because it is a private format between two threads of one process.
 *
 * Per row, little-endian: a string is a u32 byte length and its UTF-8 bytes; a number is an f64;
 * a value (prediction, label) is a tag byte (0 none, 1 number, 2 string) and then the number or
 * the string; an optional number is a tag byte (0 none, 1 number) and the f64.
 * Fields: requestId, row, model, variant, version, revision, forced (u8), createdAt, prediction,
 * probability, label, labelledAt.
 */

const NONE = 0;
const NUMBER = 1;
const STRING = 2;

/** Upper bound of a string's encoded size (UTF-8 takes at most 3 bytes per UTF-16 unit). */
const strMax = (s: string): number => 4 + 3 * s.length;
const valueMax = (v: number | string | null): number => 1 + (v === null ? 0 : typeof v === 'number' ? 8 : strMax(v));

class Writer {
  readonly bytes: Buffer;
  private readonly view: DataView;
  offset = 0;

  constructor(size: number) {
    this.bytes = Buffer.from(new ArrayBuffer(size));
    this.view = new DataView(this.bytes.buffer);
  }

  f64(v: number): void {
    this.view.setFloat64(this.offset, v, true);
    this.offset += 8;
  }

  u8(v: number): void {
    this.view.setUint8(this.offset, v);
    this.offset += 1;
  }

  str(s: string): void {
    // Request ids, model names and variants are ASCII: copied byte by byte here, they skip a
    // native call per string (three per row), which cost more than the rest of the row.
    const bytes = this.bytes;
    const start = this.offset + 4;
    let n = 0;
    for (; n < s.length; n++) {
      const c = s.charCodeAt(n);
      if (c > 0x7f) break;
      bytes[start + n] = c;
    }
    if (n < s.length) n = bytes.write(s, start, 'utf8');
    this.view.setUint32(this.offset, n, true);
    this.offset += 4 + n;
  }

  value(v: number | string | null): void {
    if (v === null) this.u8(NONE);
    else if (typeof v === 'number') {
      this.u8(NUMBER);
      this.f64(v);
    } else {
      this.u8(STRING);
      this.str(v);
    }
  }

  optional(v: number | null): void {
    if (v === null) this.u8(NONE);
    else {
      this.u8(NUMBER);
      this.f64(v);
    }
  }
}

/** Packed rows: `length` bytes of `buffer` are used (the rest is slack, cheaper than a copy). */
export interface PackedLogRows {
  readonly buffer: ArrayBuffer;
  readonly length: number;
}

/** Packs the entries; the buffer is meant to be transferred (`postMessage(msg, [buffer])`). */
export function encodeLogRows(entries: readonly PredictionLogEntry[]): PackedLogRows {
  let size = 0;
  for (const e of entries) {
    size += strMax(e.requestId) + strMax(e.model) + strMax(e.variant) + 8 * 5 + 1 + valueMax(e.prediction) + 9 + valueMax(e.label) + 9;
  }
  const w = new Writer(size);
  for (const e of entries) {
    w.str(e.requestId);
    w.f64(e.row);
    w.str(e.model);
    w.str(e.variant);
    w.f64(e.version);
    w.f64(e.revision);
    w.u8(e.forced ? 1 : 0);
    w.f64(e.createdAt);
    w.value(e.prediction);
    w.optional(e.probability);
    w.value(e.label);
    w.optional(e.labelledAt);
  }
  return { buffer: w.bytes.buffer as ArrayBuffer, length: w.offset };
}

class Reader {
  private readonly bytes: Buffer;
  private readonly view: DataView;
  offset = 0;

  constructor(packed: PackedLogRows) {
    this.bytes = Buffer.from(packed.buffer, 0, packed.length);
    this.view = new DataView(packed.buffer, 0, packed.length);
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  f64(): number {
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  u8(): number {
    return this.view.getUint8(this.offset++);
  }

  str(): string {
    const n = this.view.getUint32(this.offset, true);
    const s = this.bytes.toString('utf8', this.offset + 4, this.offset + 4 + n);
    this.offset += 4 + n;
    return s;
  }

  value(): number | string | null {
    const tag = this.u8();
    return tag === NONE ? null : tag === NUMBER ? this.f64() : this.str();
  }

  optional(): number | null {
    return this.u8() === NONE ? null : this.f64();
  }
}

/** Unpacks what encodeLogRows packed, as INSERT values. */
export function decodeLogRows(packed: PackedLogRows): LogRow[] {
  const r = new Reader(packed);
  const rows: LogRow[] = [];
  while (!r.done) {
    const requestId = r.str();
    const row = r.f64();
    const model = r.str();
    const variant = r.str();
    const version = r.f64();
    const revision = r.f64();
    const forced = r.u8() === 1 ? 1 : 0;
    const createdAt = r.f64();
    const prediction = r.value();
    const probability = r.optional();
    const label = r.value();
    const labelledAt = r.optional();
    if (prediction === null) throw new Error(`prediction-log row ${requestId}#${row} has no prediction`);
    rows.push([requestId, row, model, variant, version, revision, forced, createdAt, encodeValue(prediction), probability, label === null ? null : encodeValue(label), labelledAt]);
  }
  return rows;
}
