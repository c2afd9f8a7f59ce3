/**
 * Reference values of HAProxy 2.6's hash functions (src/hash.c) and of its integer
 * avalanche full_hash (include/haproxy/intops.h). They are not typed in by hand: run
 * `npm run hash-vectors` (scripts/hash-vectors.ts) to have the real HAProxy compute
 * them through its sdbm/djb2/wt6/crc32 converters, and
 * test/integration/hash-vectors.test.ts checks on every run that they still agree.
 */

export const HASH_FUNCTIONS = ['sdbm', 'djb2', 'wt6', 'crc32'] as const;
export type HashFunctionName = (typeof HASH_FUNCTIONS)[number];
export type HashValues = Record<HashFunctionName, number>;

/** Inputs, taken byte for byte (every character is below 256). */
export const HASH_INPUTS = ['', 'a', '/index.html', '123456789', 'The quick brown fox jumps over the lazy dog', '\xff\x80 bytes'];

/** What HAProxy computes for each of HASH_INPUTS, in the same order. */
export const HASH_EXPECTED: HashValues[] = [
  { sdbm: 0, djb2: 5381, wt6: 4187620192, crc32: 0 },
  { sdbm: 97, djb2: 177670, wt6: 1900802597, crc32: 3904355907 },
  { sdbm: 858007926, djb2: 3776231887, wt6: 822151038, crc32: 3928116034 },
  { sdbm: 1755344949, djb2: 902675330, wt6: 2225171485, crc32: 3421780262 },
  { sdbm: 2359783795, djb2: 885799134, wt6: 3840389189, crc32: 1095738169 },
  { sdbm: 2170330636, djb2: 2688254187, wt6: 4084055399, crc32: 3144188568 },
];

/** Integers given to full_hash (4112 = 1 × 4096 + 16: a consistent-hash point key). */
export const FULL_HASH_INPUTS = [0, 1, 4112, 4113, 8229, 0xffffffff, 0x7f000001];

/** What HAProxy's full_hash gives for each of FULL_HASH_INPUTS. */
export const FULL_HASH_EXPECTED = [2874071335, 881230262, 529640552, 144334362, 2115793952, 2120532354, 2317047883];
