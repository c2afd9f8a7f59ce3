/**
 * The hash reference values the unit tests use (test/unit/balance/hash-vectors.ts) are
 * what the real HAProxy 2.6 computes: scripts/hash-vectors.ts asks HAProxy's own
 * converters, and this test runs it and compares, so a constant typed wrong, or one
 * that drifts from HAProxy, fails here rather than proving a wrong implementation right.
 */
import { expect, it } from 'vitest';
import { bytesWithCrc32, haproxyHashVectors } from '../../scripts/hash-vectors.js';
import { crc32 } from '../../src/proxy/balance/hash-functions.js';
import { FULL_HASH_EXPECTED, FULL_HASH_INPUTS, HASH_EXPECTED, HASH_INPUTS } from '../unit/balance/hash-vectors.js';
import { reservePort } from '../helpers/ports.js';
import { describeWithTool, HAPROXY, HAPROXY_BIN } from '../helpers/require-tool.js';

it('steers four bytes to any CRC-32 (how the script feeds full_hash through crc32(1))', () => {
  for (const target of [0, 1, 4112, 0xffffffff, 0x7f000001, 0xdeadbeef, 123456789]) {
    const bytes = bytesWithCrc32(target);
    expect(bytes).toHaveLength(4);
    expect(crc32(bytes, bytes.length)).toBe(target);
  }
});

describeWithTool(HAPROXY, 'hash reference values against HAProxy 2.6', () => {
  it("sdbm, djb2, wt6, crc32 and full_hash constants are HAProxy's own results", async () => {
    const got = await haproxyHashVectors({ haproxy: HAPROXY_BIN, port: await reservePort() }, HASH_INPUTS, FULL_HASH_INPUTS);
    expect(got.hashes).toEqual(HASH_EXPECTED);
    expect(got.fullHash).toEqual(FULL_HASH_EXPECTED);
  });
});
