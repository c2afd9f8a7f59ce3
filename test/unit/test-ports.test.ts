/**
 * test/helpers/ports.ts: ports for listeners that bind from a config come from a block this
 * process owns, outside the kernel's ephemeral range, and are never handed out twice.
 */
import dgram from 'node:dgram';
import { afterAll, describe, expect, it } from 'vitest';
import { ephemeralRange, isPortFree } from '../../src/runtime/local/ports.js';
import { reservePort, reserveSpan, TEST_PORT_BLOCK, TEST_PORTS } from '../helpers/ports.js';

const blocks = (TEST_PORTS.last - TEST_PORTS.first + 1) / TEST_PORT_BLOCK;
const blockOf = (port: number) => Math.floor((port - TEST_PORTS.first) / TEST_PORT_BLOCK);

// Another process's claim on the block this process would try first (see claimBlock); if a
// real other process holds it already, that is the same situation.
const preferred = process.pid % blocks;
const other = dgram.createSocket('udp4');
const claimedHere = await new Promise<boolean>((resolve) => {
  other.once('error', () => resolve(false));
  other.bind({ port: TEST_PORTS.first + preferred * TEST_PORT_BLOCK, address: '127.0.0.1', exclusive: true }, () => resolve(true));
});
afterAll(() => {
  if (claimedHere) other.close();
});

describe('reserved test ports', () => {
  it('skip a block another process has claimed', async () => {
    const port = await reservePort();
    expect(blockOf(port)).not.toBe(preferred);
  });

  it('lie in TEST_PORTS, outside the ephemeral range, free, and never repeat', async () => {
    const ephemeral = ephemeralRange();
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const port = await reservePort();
      expect(port).toBeGreaterThanOrEqual(TEST_PORTS.first);
      expect(port).toBeLessThanOrEqual(TEST_PORTS.last);
      expect(port < ephemeral.first || port > ephemeral.last).toBe(true);
      expect(await isPortFree(port)).toBe(true);
      seen.add(port);
    }
    expect(seen.size).toBe(50);
  });

  it('hand out consecutive spans, also concurrently, without overlap', async () => {
    const spans = await Promise.all([reserveSpan(110), reserveSpan(110), reserveSpan(110), reserveSpan(110), reserveSpan(110)]);
    const ports = spans.flatMap((first) => Array.from({ length: 110 }, (_, i) => first + i));
    expect(new Set(ports).size).toBe(ports.length);
    // Each span sits in one block: a lab's layout is never split across owners.
    for (const first of spans) expect(blockOf(first)).toBe(blockOf(first + 109));
  });
});
