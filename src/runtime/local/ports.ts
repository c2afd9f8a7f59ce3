/** Loopback ports: is one free, pick a free one, wait until ours are released. */
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

/** A port the kernel considers free right now. */
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

/**
 * Hands out the lab's own ports where they are free, else free ones, never the same port
 * twice within one lab (ep02's stats port could otherwise meet an app's).
 */
export class PortAllocator {
  private readonly taken = new Set<number>();
  /** "app1: 5001 → 40123" for each port that had to move, said in the notes. */
  readonly moved: string[] = [];

  async take(wanted: number, what: string): Promise<number> {
    if (!this.taken.has(wanted) && (await isPortFree(wanted))) {
      this.taken.add(wanted);
      return wanted;
    }
    const port = await this.fresh(what);
    this.moved.push(`${what}: port ${wanted} is taken, using ${port}`);
    return port;
  }

  /** Any free port (for a port the lab does not publish, so it has no host port of its own). */
  async fresh(what: string): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await ephemeralPort();
      if (!this.taken.has(port)) {
        this.taken.add(port);
        return port;
      }
    }
    throw new Error(`no free loopback port for ${what}`);
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
