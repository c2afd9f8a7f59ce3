/**
 * sdbm, djb2, wt6, crc32 and full_hash give the values HAProxy 2.6 computes for the same
 * bytes (latin1 byte for byte, wider characters as UTF-8), over any requested range.
 */
import { describe, expect, it } from 'vitest';
import { ByteScratch, crc32, djb2, fullHash, sdbm, wt6 } from '../../../src/proxy/balance/hash-functions.js';
// Reference values computed by the real HAProxy 2.6: scripts/hash-vectors.ts reproduces
// them, test/integration/hash-vectors.test.ts checks them against HAProxy on every run.
import { FULL_HASH_EXPECTED, FULL_HASH_INPUTS, HASH_EXPECTED as EXPECTED, HASH_INPUTS as INPUTS } from './hash-vectors.js';

describe('hash functions', () => {
  const scratch = new ByteScratch();
  it.each(INPUTS.map((s, i) => [JSON.stringify(s), s, EXPECTED[i]!] as const))('%s', (_label, s, want) => {
    const n = scratch.load(s, 0, s.length);
    const b = scratch.bytes;
    expect({ sdbm: sdbm(b, n), djb2: djb2(b, n), wt6: wt6(b, n), crc32: crc32(b, n) }).toEqual(want);
  });

  it('crc32 is the standard CRC-32 (check value of "123456789")', () => {
    const n = scratch.load('123456789', 0, 9);
    expect(crc32(scratch.bytes, n)).toBe(0xcbf43926);
  });

  it('full_hash matches HAProxy', () => {
    expect(FULL_HASH_INPUTS.map(fullHash)).toEqual(FULL_HASH_EXPECTED);
  });

  it('takes latin1 strings byte for byte and wider characters as UTF-8', () => {
    expect(scratch.load('x\xe9y', 0, 3)).toBe(3);
    expect([...scratch.bytes.subarray(0, 3)]).toEqual([0x78, 0xe9, 0x79]);
    expect(scratch.load('x\u20acy', 0, 3)).toBe(5);
    expect([...scratch.bytes.subarray(0, 5)]).toEqual([0x78, 0xe2, 0x82, 0xac, 0x79]);
  });

  it('grows its buffer for long inputs and hashes only the requested range', () => {
    const long = 'a'.repeat(5000) + 'b';
    const n = scratch.load(long, 4999, 5001);
    expect(n).toBe(2);
    expect(sdbm(scratch.bytes, n)).toBe((98 + 97 * 65599) >>> 0);
  });
});
