import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidv7 } from './request-id.js';

describe('request ids (UUIDv7)', () => {
  it('are RFC 9562 version 7 with the variant bits, lower-case, 36 characters', () => {
    for (let i = 0; i < 2000; i++) assert.match(uuidv7(), /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('carry the millisecond time in their first 48 bits, so they sort by time', () => {
    const at = Date.UTC(2026, 10, 22, 6, 45, 1, 234);
    const id = uuidv7(at);
    assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
    assert.ok(uuidv7(at) < uuidv7(at + 1));
    assert.equal(uuidv7(0).slice(0, 13), '00000000-0000');
  });

  it('are unique across pool refills (100,000 ids in the same millisecond)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(uuidv7(1_700_000_000_000));
    assert.equal(seen.size, 100_000);
  });
});
