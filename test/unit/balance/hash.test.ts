import { describe, expect, it } from 'vitest';
import { ByteScratch, crc32, djb2, fullHash, sdbm, wt6 } from '../../../src/proxy/balance/hash.js';

// Reference values computed with HAProxy 2.6's C hash functions (gcc, x86-64).
const INPUTS = ['', 'a', '/index.html', '123456789', 'The quick brown fox jumps over the lazy dog', '\xff\x80 bytes'];
const EXPECTED = [
  { sdbm: 0, djb2: 5381, wt6: 4187620192, crc32: 0 },
  { sdbm: 97, djb2: 177670, wt6: 1900802597, crc32: 3904355907 },
  { sdbm: 858007926, djb2: 3776231887, wt6: 822151038, crc32: 3928116034 },
  { sdbm: 1755344949, djb2: 902675330, wt6: 2225171485, crc32: 3421780262 },
  { sdbm: 2359783795, djb2: 885799134, wt6: 3840389189, crc32: 1095738169 },
  { sdbm: 2170330636, djb2: 2688254187, wt6: 4084055399, crc32: 3144188568 },
];

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
    expect([0, 1, 4112, 4113, 8229, 0xffffffff, 0x7f000001].map(fullHash)).toEqual([
      2874071335, 881230262, 529640552, 144334362, 2115793952, 2120532354, 2317047883,
    ]);
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
