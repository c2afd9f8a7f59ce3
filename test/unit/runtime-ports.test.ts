/**
 * The local runtime's ports: a lab keeps its own where they are free; a taken one moves to
 * MOVED_PORTS, outside the kernel's ephemeral range, so no listen(0) or outgoing
 * connection can be handed it between haplab's check and the process's bind.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ephemeralRange, isPortFree, MOVED_PORTS, overlaps, PortAllocator } from '../../src/runtime/local/ports.js';
import { reservePort, TEST_PORTS } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'haplab-ports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A port some other program holds: a listener of ours on a kernel-chosen port. */
async function holdAPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  held.push(server);
  return (server.address() as AddressInfo).port;
}

const inRange = (port: number, r: { first: number; last: number }) => port >= r.first && port <= r.last;

describe('ephemeralRange', () => {
  it('reads ip_local_port_range', () => {
    const file = join(dir, 'range');
    writeFileSync(file, '20000\t40000\n');
    expect(ephemeralRange(file)).toEqual({ first: 20000, last: 40000 });
  });

  it("falls back to Linux's default where the file is missing or garbled", () => {
    expect(ephemeralRange(join(dir, 'none'))).toEqual({ first: 32768, last: 60999 });
    const file = join(dir, 'garbled');
    writeFileSync(file, 'x y\n');
    expect(ephemeralRange(file)).toEqual({ first: 32768, last: 60999 });
  });

  it('keeps MOVED_PORTS apart from the ephemeral range and from the ports tests reserve', () => {
    expect(overlaps(MOVED_PORTS, { first: 32768, last: 60999 })).toBe(false);
    expect(overlaps(MOVED_PORTS, TEST_PORTS)).toBe(false);
    // Above the catalogue's own ports (apps 5000–5015, frontends 4000–8199 with offsets).
    expect(MOVED_PORTS.first).toBeGreaterThan(8199);
  });
});

describe('PortAllocator', () => {
  it("gives the lab's own port when it is free", async () => {
    const wanted = await reservePort();
    const ports = new PortAllocator('lab-a');
    expect(await ports.take(wanted, 'app app1')).toBe(wanted);
    expect(ports.moved).toEqual([]);
  });

  it('moves a taken port into MOVED_PORTS, outside the ephemeral range, and says so', async () => {
    const wanted = await holdAPort();
    const ports = new PortAllocator('lab-b');
    const port = await ports.take(wanted, 'app app1');
    expect(inRange(port, MOVED_PORTS)).toBe(true);
    expect(inRange(port, ephemeralRange())).toBe(false);
    expect(ports.moved).toEqual([`app app1: port ${wanted} is taken, using ${port}`]);
  });

  it('never hands out one port twice in a lab, even when it is wanted twice', async () => {
    const wanted = await holdAPort();
    const ports = new PortAllocator('lab-c');
    const first = await ports.take(wanted, 'haproxy stats');
    const second = await ports.take(wanted, 'ts stats');
    const third = await ports.take(first, 'app app9');
    expect(new Set([first, second, third]).size).toBe(3);
  });

  it('moves the same lab to the same replacement port run after run', async () => {
    const wanted = await holdAPort();
    const first = new PortAllocator('/labs/ep09');
    const one = await first.take(wanted, 'app app1');
    first.release(); // the run is over (or its processes hold the port): nothing of this process claims it
    const again = await new PortAllocator('/labs/ep09').take(wanted, 'app app1');
    expect(again).toBe(one);
  });

  it('two labs planned at once in one process never get the same port (check --all)', async () => {
    const wanted = await holdAPort();
    const a = new PortAllocator('/labs/ep09');
    const b = new PortAllocator('/labs/ep09');
    // Both want the same (taken) port and start their search for a replacement at the same place.
    const [x, y] = await Promise.all([a.take(wanted, 'app app1'), b.take(wanted, 'app app1')]);
    expect(x).not.toBe(y);
    // Free ports too: the second lab to ask does not get one the first was given and has not bound yet.
    const finder = new PortAllocator('probe');
    const free = await finder.any('a free port');
    finder.release();
    const c = new PortAllocator('lab-c');
    const d = new PortAllocator('lab-d');
    const [p, q] = await Promise.all([c.take(free, 'app app1'), d.take(free, 'app app1')]);
    expect([p, q]).toContain(free);
    expect(p).not.toBe(q);
    for (const alloc of [a, b, c, d]) alloc.release();
  });

  it('skips a replacement port someone holds', async () => {
    const wanted = await holdAPort();
    const allocator = new PortAllocator('lab-d');
    const first = await allocator.take(wanted, 'app app1');
    allocator.release();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(first, '127.0.0.1', resolve));
    held.push(blocker);
    const next = await new PortAllocator('lab-d').take(wanted, 'app app1');
    expect(next).not.toBe(first);
    expect(inRange(next, MOVED_PORTS)).toBe(true);
  });

  it("takes the kernel's choice only where the whole range lies inside the ephemeral one", async () => {
    const wanted = await holdAPort();
    // A machine whose ephemeral range covers every port: no candidate of the range is safe.
    const ports = new PortAllocator('lab-e', { first: 1000, last: 1009 }, { first: 1, last: 65535 });
    const port = await ports.take(wanted, 'app app1');
    expect(port).not.toBe(wanted);
    expect(inRange(port, { first: 1000, last: 1009 })).toBe(false);
    expect(inRange(port, ephemeralRange())).toBe(true);
  });
});
