import { requestIdTime, type PredictionLogEntry } from '../../domain/index.js';

/**
 * Prediction-log rows packed into one buffer: the format the main thread hands to the writer
 * thread (transferred, not copied) and the format the log keeps on disk, a chunk of rows per
 * SQLite row (see prediction-log-chunks.ts). A structured clone of 256 row arrays cost the event
 * loop ~0.5 µs per row on a quiet machine and several µs under load, writing the same values here
 * ~0.2 µs. Hand-written because it is a private format of this store.
 *
 * Per row, little-endian: a string is a u32 byte length and its UTF-8 bytes; a number is an f64;
 * a value (prediction, label) is a tag byte (0 none, 1 number, 2 string) and then the number or
 * the string; an optional number is a tag byte (0 none, 1 number) and the f64.
 * Fields: requestId, row, model, variant, version, revision, forced (u8), createdAt, prediction,
 * probability, label, labelledAt. The log keeps
 * these bytes as they are, so a change to the format needs a schema migration (migrations.ts).
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

/** The used bytes of packed rows, without a copy. */
export const packedBytes = (p: PackedLogRows): Uint8Array => new Uint8Array(p.buffer, 0, p.length);

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

  constructor(data: Uint8Array) {
    this.bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
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

  /** Whether the string here is `expected` (its UTF-8 bytes), moving past it either way; allocates nothing. */
  strEquals(expected: Buffer): boolean {
    const n = this.view.getUint32(this.offset, true);
    const start = this.offset + 4;
    this.offset = start + n;
    if (n !== expected.length) return false;
    // From the end: ids of one slot share their leading time digits and differ in the random tail.
    const bytes = this.bytes;
    for (let i = n - 1; i >= 0; i--) if (bytes[start + i] !== expected[i]) return false;
    return true;
  }

  skipStr(): void {
    this.offset += 4 + this.view.getUint32(this.offset, true);
  }

  value(): number | string | null {
    const tag = this.u8();
    return tag === NONE ? null : tag === NUMBER ? this.f64() : this.str();
  }

  skipValue(): void {
    const tag = this.u8();
    if (tag === NUMBER) this.offset += 8;
    else if (tag === STRING) this.skipStr();
  }

  optional(): number | null {
    return this.u8() === NONE ? null : this.f64();
  }

  skipOptional(): void {
    if (this.u8() !== NONE) this.offset += 8;
  }

  /** The row that starts at `offset`, with its request id already read. */
  rest(requestId: string): PredictionLogEntry {
    const row = this.f64();
    const model = this.str();
    const variant = this.str() as PredictionLogEntry['variant'];
    const version = this.f64();
    const revision = this.f64();
    const forced = this.u8() === 1;
    const createdAt = this.f64();
    const prediction = this.value();
    const probability = this.optional();
    const label = this.value();
    const labelledAt = this.optional();
    if (prediction === null) throw new Error(`prediction-log row ${requestId}#${row} has no prediction`);
    return { requestId, row, model, variant, version, revision, forced, createdAt, prediction, probability, label, labelledAt };
  }

  /** Moves past the rest of a row whose request id was read; returns its row number and created_at. */
  skipRest(): { row: number; createdAt: number } {
    const row = this.f64();
    this.skipStr();
    this.skipStr();
    this.offset += 8 + 8 + 1;
    const createdAt = this.f64();
    this.skipValue();
    this.skipOptional();
    this.skipValue();
    this.skipOptional();
    return { row, createdAt };
  }
}

/** Unpacks what encodeLogRows packed. */
export function decodeLogRows(data: Uint8Array): PredictionLogEntry[] {
  const r = new Reader(data);
  const rows: PredictionLogEntry[] = [];
  while (!r.done) rows.push(r.rest(r.str()));
  return rows;
}

/** The row `requestId`#`row` of packed rows, if they hold it; only that row is decoded. */
export function findLogRow(data: Uint8Array, requestId: Buffer, row: number): PredictionLogEntry | undefined {
  const r = new Reader(data);
  while (!r.done) {
    const start = r.offset;
    if (!r.strEquals(requestId)) {
      r.skipRest();
      continue;
    }
    const next = r.offset;
    if (r.f64() === row) {
      r.offset = start;
      return r.rest(r.str());
    }
    r.offset = next;
    r.skipRest();
  }
  return undefined;
}

/** Milliseconds of request-id time per slot: the unit the log is stored and looked up by. */
export const SLOT_MS = 10;

/** The slot of a request id: its UUIDv7 time over SLOT_MS; ids that are not UUIDv7 share slot 0. */
export function slotOf(requestId: string): number {
  const t = requestIdTime(requestId);
  return t === null ? 0 : Math.floor(t / SLOT_MS);
}

/** Packed rows whose request ids fall in one slot, as the log stores them. */
export interface LogChunk {
  readonly slot: number;
  readonly firstRequestId: string;
  readonly firstRow: number;
  readonly rows: number;
  readonly maxCreatedAt: number;
  readonly data: Buffer;
}

/**
 * Splits packed rows into one chunk per slot, each keeping the rows' order. Rows arrive in the
 * order their predictions completed, so a batch of rows spans a few slots (plus one for each
 * straggler that took long). The same rows always split the same way: a chunk is known by its
 * slot and first row, which makes writing the same rows twice a no-op.
 */
export function splitBySlot(data: Uint8Array): LogChunk[] {
  const r = new Reader(data);
  const open = new Map<number, { firstRequestId: string; firstRow: number; rows: number; maxCreatedAt: number; ranges: number[] }>();
  while (!r.done) {
    const start = r.offset;
    const requestId = r.str();
    const { row, createdAt } = r.skipRest();
    const slot = slotOf(requestId);
    const c = open.get(slot);
    if (c === undefined) {
      open.set(slot, { firstRequestId: requestId, firstRow: row, rows: 1, maxCreatedAt: createdAt, ranges: [start, r.offset] });
      continue;
    }
    c.rows++;
    if (createdAt > c.maxCreatedAt) c.maxCreatedAt = createdAt;
    // Consecutive rows of a slot are one range: the common case copies a few ranges per chunk.
    if (c.ranges[c.ranges.length - 1] === start) c.ranges[c.ranges.length - 1] = r.offset;
    else c.ranges.push(start, r.offset);
  }
  const chunks: LogChunk[] = [];
  for (const [slot, c] of open) {
    let size = 0;
    for (let i = 0; i < c.ranges.length; i += 2) size += c.ranges[i + 1]! - c.ranges[i]!;
    let out: Buffer;
    if (c.ranges.length === 2 && size === data.byteLength) out = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    else {
      out = Buffer.allocUnsafe(size);
      let at = 0;
      for (let i = 0; i < c.ranges.length; i += 2) {
        out.set(data.subarray(c.ranges[i], c.ranges[i + 1]), at);
        at += c.ranges[i + 1]! - c.ranges[i]!;
      }
    }
    chunks.push({ slot, firstRequestId: c.firstRequestId, firstRow: c.firstRow, rows: c.rows, maxCreatedAt: c.maxCreatedAt, data: out });
  }
  return chunks;
}
