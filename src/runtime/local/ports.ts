/** Loopback ports: is one free, pick a free one, wait until ours are released. */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export const LOOPBACK = '127.0.0.1';

/** True when a listener could bind host:port now (taken, or privileged without rights: false). */
export function isPortFree(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the kernel considers free right now (a last resort: see MOVED_PORTS). */
export function ephemeralPort(host = LOOPBACK): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PortRange {
  first: number;
  last: number;
}

/** Linux's default, used where /proc does not say. */
const DEFAULT_EPHEMERAL: PortRange = { first: 32768, last: 60999 };

/**
 * The range the kernel hands out for listen(0) and for the source port of outgoing
 * connections. A port inside it that was found free and released can be given to either
 * before the process meant to bind it does; a port outside it cannot.
 */
export function ephemeralRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): PortRange {
  try {
    const [first, last] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(first) && Number.isInteger(last) && first! <= last!) return { first: first!, last: last! };
  } catch {
    // not Linux, or /proc not mounted
  }
  return DEFAULT_EPHEMERAL;
}

export function overlaps(a: PortRange, b: PortRange): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/**
 * Where a lab's port goes when its own is taken: above the catalogue's ports (4000–8199),
 * below the kernel's ephemeral range, and apart from the ports haplab's own tests reserve
 * (test/helpers/ports.ts). Found free there, a port stays free until the process binds it
 * unless another program asks for that very number.
 */
export const MOVED_PORTS: PortRange = { first: 12_000, last: 15_999 };

/** Stable per key, so a lab whose port moves gets the same replacement run after run. */
function startOffset(key: string, size: number): number {
  let h = 0;
  for (const c of key) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  return h % size;
}

/**
 * Ports an allocator of this process has handed out and its lab has not yet bound: labs
 * started together (`check --all`) would otherwise each find the same port free between
 * the check and the bind. Claimed before the check's await, so the claim is atomic in
 * this process; released once the lab's processes hold the ports (or failed to start).
 */
const CLAIMED_IN_PROCESS = new Set<number>();

/**
 * Hands out the lab's own ports where they are free, else ports from MOVED_PORTS, never
 * the same port twice within one lab (ep02's stats port could otherwise meet an app's),
 * nor one another lab of this process is starting on.
 */
export class PortAllocator {
  private readonly taken = new Set<number>();
  /** "app1: 5001 → 12345" for each port that had to move, said in the notes. */
  readonly moved: string[] = [];

  /** `key` (the lab directory) picks where in MOVED_PORTS the search for moved ports starts. */
  constructor(
    private readonly key = '',
    private readonly range: PortRange = MOVED_PORTS,
    private readonly ephemeral: PortRange = ephemeralRange(),
  ) {}

  async take(wanted: number, what: string): Promise<number> {
    if (!this.taken.has(wanted) && (await this.claim(wanted))) {
      this.taken.add(wanted);
      return wanted;
    }
    const port = await this.any(what);
    this.moved.push(`${what}: port ${wanted} is taken, using ${port}`);
    return port;
  }

  /** A free port of the range for `what`, when nothing in particular is wanted. */
  async any(what: string): Promise<number> {
    const port = (await this.movedPort()) ?? (await this.kernelPort());
    if (port === undefined) throw new Error(`no free loopback port for ${what}`);
    this.taken.add(port);
    return port;
  }

  private async movedPort(): Promise<number | undefined> {
    const size = this.range.last - this.range.first + 1;
    const start = startOffset(this.key, size);
    for (let i = 0; i < size; i++) {
      const port = this.range.first + ((start + i) % size);
      if (this.taken.has(port) || overlaps({ first: port, last: port }, this.ephemeral)) continue;
      if (await this.claim(port)) return port;
    }
    return undefined;
  }

  /** Claims `port` for this allocator when no other lab of this process has, and it is free. */
  private async claim(port: number): Promise<boolean> {
    if (CLAIMED_IN_PROCESS.has(port)) return false;
    CLAIMED_IN_PROCESS.add(port);
    if (await isPortFree(port)) return true;
    CLAIMED_IN_PROCESS.delete(port);
    return false;
  }

  /** The lab's processes hold its ports now (or never will): other labs of this process may claim them. */
  release(): void {
    for (const port of this.taken) CLAIMED_IN_PROCESS.delete(port);
  }

  /** Only where MOVED_PORTS is full or inside the ephemeral range (a machine set up so). */
  private async kernelPort(): Promise<number | undefined> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await ephemeralPort();
      if (!this.taken.has(port) && !CLAIMED_IN_PROCESS.has(port)) {
        CLAIMED_IN_PROCESS.add(port);
        return port;
      }
    }
    return undefined;
  }
}

/** Waits until every port can be bound again; returns those still held at the deadline. */
export async function waitPortsFree(ports: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let held = [...ports];
  for (;;) {
    const checks = await Promise.all(held.map(async (p) => ((await isPortFree(p)) ? undefined : p)));
    held = checks.filter((p): p is number => p !== undefined);
    if (held.length === 0 || Date.now() >= deadline) return held;
    await new Promise((r) => setTimeout(r, 50));
  }
}
