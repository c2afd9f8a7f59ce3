/**
 * Fixtures for comparing balancers under load (balance-parity-load.test.ts): backends that
 * hold a "/hold" request open until the test releases it, so the test sets every server's
 * in-flight count exactly, and one "side" per proxy — the real HAProxy 2.6 or haplab's
 * proxy (src/proxy, started in-process) — reached through the same operations.
 *
 * A hold is steered to server s by putting every other server of the section in
 * maintenance while it is sent (`set server B/S state maint` on HAProxy's stats socket,
 * the same state change in haplab's runtime) and making them ready again afterwards, in
 * the same order on both sides, so both see the same sequence of events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBalancer } from '../../src/proxy/balance/index.js';
import { parseConfig } from '../../src/proxy/config/index.js';
import { startProxy, type RunningProxy } from '../../src/proxy/index.js';
import { createRng } from '../../src/verify/rng.js';
import { eventually, send, startHaproxy, startNamedBackends, type HaproxyProcess, type NamedBackends } from './proxy-helpers.js';

export interface LoadSection {
  name: string;
  /** The `balance` line's argument: leastconn, random(2)… */
  balance: string;
  weights: number[];
}

/** Backends n1…nK; a "/hold…" request is answered only when released. */
export class HoldingBackends {
  private readonly held = new Map<string, http.ServerResponse[]>();
  private constructor(readonly named: NamedBackends) {}

  static async start(count: number): Promise<HoldingBackends> {
    let self: HoldingBackends | undefined;
    const named = await startNamedBackends(
      Array.from({ length: count }, (_, i) => `n${i + 1}`),
      (name, req, res) => {
        if (!req.url?.startsWith('/hold')) return false;
        req.resume();
        self!.queueOf(name).push(res);
        return true;
      },
    );
    self = new HoldingBackends(named);
    return self;
  }

  private queueOf(name: string): http.ServerResponse[] {
    let q = this.held.get(name);
    if (!q) this.held.set(name, (q = []));
    return q;
  }

  heldOn(index: number): number {
    return this.queueOf(`n${index + 1}`).length;
  }

  /** Answers the `count` oldest holds of server index. */
  release(index: number, count: number): void {
    const q = this.queueOf(`n${index + 1}`);
    if (q.length < count) throw new Error(`n${index + 1} holds ${q.length}, cannot release ${count}`);
    for (const res of q.splice(0, count)) res.end('released');
  }

  releaseAll(): void {
    for (const q of this.held.values()) for (const res of q.splice(0)) res.end('released');
  }

  port(index: number): number {
    return this.named.ports[`n${index + 1}`]!;
  }

  async close(): Promise<void> {
    this.releaseAll();
    await this.named.close();
  }
}

/** One proxy under test, with its own backends (so each side's holds are its own). */
export interface Side {
  readonly label: string;
  readonly backends: HoldingBackends;
  port(section: string): number;
  /** Puts server `index` of `section` in maintenance, or makes it ready. */
  setReady(section: string, index: number, ready: boolean): Promise<void>;
  /** What the proxy itself counts in flight on each server of the section. */
  inFlight(section: string): Promise<number[]>;
  stop(): Promise<void>;
}

export function sectionLines(sections: readonly LoadSection[], ports: ReadonlyMap<string, number>, backends: HoldingBackends): string[] {
  const out: string[] = [];
  for (const s of sections) {
    out.push(`listen ${s.name}`, `  bind 127.0.0.1:${ports.get(s.name)!}`, `  balance ${s.balance}`);
    s.weights.forEach((w, i) => out.push(`  server s${i + 1} 127.0.0.1:${backends.port(i)} weight ${w}`));
  }
  return out;
}

/** Held requests stay open for a whole random test (thousands of requests): no timeout may end them first. */
const DEFAULTS = ['defaults', '  mode http', '  timeout connect 2s', '  timeout client 10m', '  timeout server 10m'];

async function reservePorts(sections: readonly LoadSection[], reserve: () => Promise<number>): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  for (const s of sections) ports.set(s.name, await reserve());
  return ports;
}

function cli(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(socket);
    let out = '';
    c.on('connect', () => c.end(`${command}\n`));
    c.on('data', (d) => (out += d.toString()));
    c.on('end', () => resolve(out));
    c.on('error', reject);
  });
}

export async function haproxySide(sections: readonly LoadSection[], reserve: () => Promise<number>, serverCount: number): Promise<Side> {
  const backends = await HoldingBackends.start(serverCount);
  const ports = await reservePorts(sections, reserve);
  const dir = mkdtempSync(join(tmpdir(), 'haplab-load-parity-'));
  const socket = join(dir, 'admin.sock');
  const cfg = ['global', '  nbthread 1', '  noreuseport', `  stats socket ${socket} level admin`, ...DEFAULTS, ...sectionLines(sections, ports, backends)];
  let proc: HaproxyProcess;
  try {
    proc = await startHaproxy(cfg.join('\n') + '\n', ports.get(sections[0]!.name)!);
  } catch (err) {
    await backends.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    label: 'HAProxy',
    backends,
    port: (section) => ports.get(section)!,
    setReady: async (section, index, ready) => {
      const answer = await cli(socket, `set server ${section}/s${index + 1} state ${ready ? 'ready' : 'maint'}`);
      if (answer.trim() !== '') throw new Error(`HAProxy refused a state change: ${answer}`);
    },
    inFlight: async (section) => {
      // scur: the server's current sessions, counted up at connect and down at the end of
      // the stream, as `served` (which leastconn and random read) is.
      const csv = (await cli(socket, 'show stat')).split('\n');
      const head = csv[0]!.replace(/^# /, '').split(',');
      const scur = head.indexOf('scur');
      return csv.filter((l) => l.startsWith(`${section},s`)).map((l) => Number(l.split(',')[scur]));
    },
    stop: async () => {
      backends.releaseAll();
      await proc.stop();
      await backends.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Floats in [0, 1) for one section's `random` balancer. */
export type RandomSource = (section: string) => () => number;

/** A seeded stream per section (src/verify/rng.ts), independent of HAProxy's. */
export function seededRandom(seed: string): RandomSource {
  return (section) => {
    const rng = createRng(`${seed}/${section}`);
    return () => rng.float();
  };
}

/**
 * haplab's proxy; each section's `random` balancer draws from `random`, or, without it, from
 * what the proxy draws from on its own (HAProxy 2.6's thread-0 stream, src/proxy/runtime.ts).
 */
export async function haplabSide(sections: readonly LoadSection[], reserve: () => Promise<number>, serverCount: number, random?: RandomSource): Promise<Side> {
  const backends = await HoldingBackends.start(serverCount);
  const ports = await reservePorts(sections, reserve);
  const config = parseConfig([...DEFAULTS, ...sectionLines(sections, ports, backends)].join('\n') + '\n');
  let proxy: RunningProxy;
  try {
    proxy = await startProxy(config, {
      healthChecks: false,
      balancerFactory: random && ((section, servers) => createBalancer(section.balance, servers, random(section.name))),
    });
  } catch (err) {
    await backends.close();
    throw err;
  }
  const backend = (section: string) => proxy.backends.get(section)!;
  return {
    label: 'haplab',
    backends,
    port: (section) => ports.get(section)!,
    setReady: async (section, index, ready) => backend(section).servers[index]!.setUp(ready),
    inFlight: async (section) => backend(section).servers.map((s) => s.activeConns),
    stop: async () => {
      backends.releaseAll();
      await proxy.close();
      await backends.close();
    },
  };
}

/** The server (s1, s2…) that answered a request: the backend's name is the body's first word. */
export async function probe(side: Side, section: string): Promise<string> {
  const r = await send(side.port(section), { path: '/' });
  const m = /^n(\d+) /.exec(r.body);
  if (r.status !== 200 || !m) throw new Error(`${side.label} ${section}: unexpected answer ${r.status} ${JSON.stringify(r.body.slice(0, 80))}`);
  return `s${m[1]}`;
}

/** Waits until the proxy counts exactly `loads` in flight (a finished request is released). */
export async function settle(side: Side, section: string, loads: readonly number[]): Promise<void> {
  let last: number[] = [];
  const ok = await eventuallyAsync(async () => {
    last = await side.inFlight(section);
    return last.length === loads.length && last.every((v, i) => v === loads[i]);
  });
  if (!ok) throw new Error(`${side.label} ${section}: in flight ${JSON.stringify(last)}, expected ${JSON.stringify(loads)}`);
}

async function eventuallyAsync(check: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

/**
 * Adds `count` held requests on server `index`: every other server of the section is in
 * maintenance meanwhile (ready again afterwards, in index order).
 */
export async function hold(side: Side, section: string, servers: number, index: number, count: number): Promise<void> {
  const others = Array.from({ length: servers }, (_, i) => i).filter((i) => i !== index);
  for (const i of others) await side.setReady(section, i, false);
  const before = side.backends.heldOn(index);
  for (let k = 0; k < count; k++) {
    // Answered only at release; a failure then is the proxy's, and shows in the next settle.
    void send(side.port(section), { path: `/hold/${section}` }).catch(() => undefined);
  }
  const arrived = await eventually(() => side.backends.heldOn(index) === before + count);
  if (!arrived) throw new Error(`${side.label} ${section}: ${side.backends.heldOn(index) - before} of ${count} holds reached s${index + 1}`);
  for (const i of others) await side.setReady(section, i, true);
}
