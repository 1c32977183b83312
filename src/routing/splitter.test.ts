import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import murmurHash3 from 'murmurhash3js-revisited';
import { bucketOf, murmur32, pickVariant, seedForModel } from './index.js';

const seed = seedForModel('churn');
const murmur32Bytes = (bytes: Uint8Array, s: number): number => murmurHash3.x86.hash32(bytes, s);
const keys = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);

describe('splitter', () => {
  it('is the reference MurmurHash3 x86_32', () => {
    // Reference values from the SMHasher implementation.
    assert.equal(murmur32('I will not buy this record, it is scratched.', 0), 2832214938);
    assert.equal(murmur32('', 0), 0);
    assert.equal(murmur32('', 1), 0x514e28b7);
  });

  it('hashes the UTF-8 bytes of any key, however long, as the allocating encoder would', () => {
    const reference = (text: string, s: number) => murmur32Bytes(new TextEncoder().encode(text), s);
    // Longer than the reused buffer, cut inside a multi-byte character, non-ASCII and astral keys.
    for (const key of ['x'.repeat(1023), 'x'.repeat(1024), 'x'.repeat(5000), `${'x'.repeat(1023)}é`, 'clé-ünïcode', `${'y'.repeat(1022)}😀z`, '😀']) {
      assert.equal(murmur32(key, 7), reference(key, 7), `key of ${key.length} chars`);
    }
    // A long key does not leave bytes behind for the next, shorter one.
    assert.equal(murmur32('abc', 3), reference('abc', 3));
  });

  it('gives each variant its share within ±1% over 100,000 keys', () => {
    for (const weightBp of [50, 500, 1000, 2000, 5000, 9000]) {
      const canary = keys.filter((key) => pickVariant({ canaryWeightBp: weightBp, seed, key }, Math.random) === 'canary').length;
      const share = canary / keys.length;
      assert.ok(Math.abs(share - weightBp / 10_000) <= 0.01, `weight ${weightBp}bp gave canary share ${share}`);
    }
  });

  it('gives each variant its share within ±1% without keys', () => {
    let state = 1;
    const lcg = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const canary = keys.filter(() => pickVariant({ canaryWeightBp: 2000, seed }, lcg) === 'canary').length;
    assert.ok(Math.abs(canary / keys.length - 0.2) <= 0.01, `share ${canary / keys.length}`);
  });

  it('sends a key to the same variant every time at the same weight', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 10_000 }), (key, w) => {
        const first = pickVariant({ canaryWeightBp: w, seed, key }, Math.random);
        for (let i = 0; i < 5; i++) assert.equal(pickVariant({ canaryWeightBp: w, seed, key }, Math.random), first);
      }),
      { numRuns: 2000 },
    );
  });

  it('never moves a canary key back to stable when the weight rises', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (key, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (pickVariant({ canaryWeightBp: lo, seed, key }, Math.random) === 'canary') {
          assert.equal(pickVariant({ canaryWeightBp: hi, seed, key }, Math.random), 'canary');
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('honours 0%, 100% and a forced variant', () => {
    assert.equal(pickVariant({ canaryWeightBp: 0, seed }, () => 0), 'stable');
    assert.equal(pickVariant({ canaryWeightBp: 10_000, seed }, () => 0.9999), 'canary');
    assert.equal(pickVariant({ canaryWeightBp: 0, seed, forced: 'canary' }, () => 0), 'canary');
    assert.equal(pickVariant({ canaryWeightBp: 10_000, seed, forced: 'stable' }, () => 0), 'stable');
  });

  it('seeds models differently so the same key is not always in the first slice', () => {
    const a = seedForModel('churn');
    const b = seedForModel('fraud');
    assert.notEqual(a, b);
    const differ = keys.slice(0, 1000).filter((k) => bucketOf(k, a) !== bucketOf(k, b)).length;
    assert.ok(differ > 990);
  });
});
