import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = Buffer.alloc(16 * 512);
let offset = pool.length;

/** A UUIDv7 (RFC 9562): 48-bit millisecond time, then random bits from a pooled buffer (one syscall per 512 ids). */
export function uuidv7(now = Date.now()): string {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = pool;
  const o = offset;
  offset += 16;
  const hi = Math.floor(now / 0x100000000);
  const lo = now >>> 0;
  b[o] = (hi >>> 8) & 0xff;
  b[o + 1] = hi & 0xff;
  b[o + 2] = (lo >>> 24) & 0xff;
  b[o + 3] = (lo >>> 16) & 0xff;
  b[o + 4] = (lo >>> 8) & 0xff;
  b[o + 5] = lo & 0xff;
  b[o + 6] = (b[o + 6]! & 0x0f) | 0x70;
  b[o + 8] = (b[o + 8]! & 0x3f) | 0x80;
  const h = (i: number) => HEX[b[o + i]!]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
