/**
 * Ports for listeners a test cannot open itself: HAProxy and haplab's proxy bind what their
 * config says, a lab's apps bind what lab.yaml says. (A Node server the test owns just
 * listens on port 0 and keeps its socket; nothing here is for those.)
 *
 * A port found free with listen(0) and released is only free until the kernel hands the
 * same number to the next listen(0) or to an outgoing connection — which on a busy run
 * it does. These ports come from TEST_PORTS instead: outside the kernel's ephemeral range
 * (so the kernel never hands them out), away from the catalogue's ports (4000–8199), the
 * e2e labs' shifted ones (24000–30799) and where the local runtime moves a taken port
 * (MOVED_PORTS). Each process (a vitest worker, another checkout's test run) claims a block
 * of its own by binding the block's first port over UDP — the kernel keeps two claimants
 * apart and frees the claim when the process ends — and hands the block's TCP ports out
 * once each.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { ephemeralRange, isPortFree, MOVED_PORTS, overlaps, type PortRange } from '../../src/runtime/local/ports.js';
import { STATS_PORT_OFFSET, TS_PORT_OFFSET, type LabSpec } from '../../src/lab-schema/types.js';

export const TEST_PORTS: PortRange = { first: 16_000, last: 23_999 };
export const TEST_PORT_BLOCK = 500;
const BLOCK = TEST_PORT_BLOCK;
const BLOCKS = (TEST_PORTS.last - TEST_PORTS.first + 1) / BLOCK;

if (overlaps(TEST_PORTS, MOVED_PORTS)) throw new Error('TEST_PORTS and MOVED_PORTS must not overlap');
const ephemeral = ephemeralRange();
if (overlaps(TEST_PORTS, ephemeral)) {
  // Not the case on a stock Linux (32768–60999); a machine set up otherwise loses the guarantee.
  console.warn(`\n!!! test ports ${TEST_PORTS.first}–${TEST_PORTS.last} overlap the kernel's ephemeral range ${ephemeral.first}–${ephemeral.last}: port clashes are possible\n`);
}

interface Block {
  next: number;
  end: number;
}

/** Held for the life of the process: each one is a block this process owns. */
const claims: dgram.Socket[] = [];
let current: Block | undefined;
/** One reservation at a time within the process: a block is claimed once, ports never repeat. */
let queue: Promise<unknown> = Promise.resolve();

function claimUdp(port: number): Promise<dgram.Socket | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind({ port, address: '127.0.0.1', exclusive: true }, () => {
      socket.unref();
      resolve(socket);
    });
  });
}

async function claimBlock(): Promise<Block> {
  // Start where this process's id points, so concurrent processes rarely even try the same block.
  const start = process.pid % BLOCKS;
  for (let i = 0; i < BLOCKS; i++) {
    const first = TEST_PORTS.first + ((start + i) % BLOCKS) * BLOCK;
    // Fails for a block another process owns, and for one this process already used up.
    const claim = await claimUdp(first);
    if (claim) {
      claims.push(claim);
      return { next: first, end: first + BLOCK - 1 };
    }
  }
  throw new Error(`every block of test ports ${TEST_PORTS.first}–${TEST_PORTS.last} is claimed by another process`);
}

function serialized<T>(work: () => Promise<T>): Promise<T> {
  const result = queue.then(work);
  queue = result.catch(() => undefined);
  return result;
}

/** `count` consecutive TCP ports on 127.0.0.1, free now and never handed out again in this process. */
export function reserveSpan(count: number): Promise<number> {
  if (count < 1 || count > BLOCK) throw new Error(`a span of ${count} ports does not fit a block of ${BLOCK}`);
  return serialized(async () => {
    for (;;) {
      if (!current || current.next + count - 1 > current.end) current = await claimBlock();
      const first = current.next;
      current.next += count;
      // A program outside this scheme (or a process a crashed run left behind) may hold one.
      const free = await Promise.all(Array.from({ length: count }, (_, i) => isPortFree(first + i)));
      if (free.every(Boolean)) return first;
    }
  });
}

/** One TCP port on 127.0.0.1 for a listener the test does not open itself (see the file's comment). */
export function reservePort(): Promise<number> {
  return reserveSpan(1);
}

/** Waits until 127.0.0.1:port accepts connections, or `gaveUp()` says the listener will not come. */
export async function waitForPort(port: number, timeoutMs: number, gaveUp = () => false, why = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (gaveUp() || Date.now() > deadline) throw new Error(`port ${port} never opened: ${why()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The lab moved onto reserved ports, its layout kept: apps side by side, and the frontends'
 * published ports with the TypeScript proxy's (+TS_PORT_OFFSET) and the stats ports
 * (+STATS_PORT_OFFSET) in one span, as publishedPorts lays them out.
 */
export async function labOnTestPorts(spec: LabSpec): Promise<LabSpec> {
  const appPorts = spec.apps.map((a) => a.port);
  const lowestApp = Math.min(...appPorts);
  const appBase = await reserveSpan(Math.max(...appPorts) - lowestApp + 1);
  const hostPorts = spec.frontends.map((f) => f.hostPort);
  const lowestHost = Math.min(...hostPorts);
  const highestPublished = Math.max(...hostPorts, spec.frontends[0]!.hostPort + STATS_PORT_OFFSET) + TS_PORT_OFFSET;
  const hostBase = await reserveSpan(highestPublished - lowestHost + 1);
  return {
    ...spec,
    apps: spec.apps.map((a) => ({ ...a, port: appBase + a.port - lowestApp })),
    frontends: spec.frontends.map((f) => ({ ...f, hostPort: hostBase + f.hostPort - lowestHost })),
  };
}
