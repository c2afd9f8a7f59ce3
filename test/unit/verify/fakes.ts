/**
 * Test doubles: a simulated lab behind a fake Prober (virtual time, so concurrency and slow
 * servers are exact and instant), and stand-in oracles. For unit tests only; the real
 * Prober comes from the runtimes, the real oracles from src/proxy.
 */
import { loadSpecFile } from '../../../src/lab-schema/load.js';
import type { BackendSpec, FrontendSpec, LabSpec, ProxyKind } from '../../../src/lab-schema/types.js';
import type { LabInstance, ProbeBatchOptions, ProbeRequest, ProbeResponse, Prober } from '../../../src/runtime/types.js';
import type { PickContext } from '../../../src/proxy/balance/types.js';
import type { BalanceOracle } from '../../../src/verify/oracles.js';
import { keyContext, keyKind, randomKeyValue } from '../../../src/verify/hash-keys.js';
import type { Rng } from '../../../src/verify/rng.js';

export async function spec(id: string): Promise<LabSpec> {
  return loadSpecFile(new URL(`../../../labs/${id}.yaml`, import.meta.url).pathname);
}

/** What the simulated lab does with one request. */
export interface Served {
  /** The app that answers (X-Served-By); none for a deny or a failure. */
  app?: string;
  status?: number;
  /** Virtual milliseconds the answer takes. Default 1. */
  delayMs?: number;
  body?: string;
  /** Why no answer came, when none did (default "connection refused"). */
  error?: string;
}

export interface LabState {
  /** Virtual time of the send. */
  now: number;
  /** Requests in flight per app at that moment (this proxy only). */
  inFlight: Map<string, number>;
  /** Increments on every send() call: one kept-alive connection per batch and session. */
  batch: number;
}

export type Behaviour = (req: ProbeRequest, state: LabState) => Served;

export interface FakeLab {
  instance: LabInstance;
  prober: Prober;
  sent: ProbeRequest[];
  addressCalls: { count: number; subnet?: string }[];
}

export function fakeLab(labSpec: LabSpec, behaviours: Partial<Record<ProxyKind, Behaviour>>, options: {
  runtime?: 'docker' | 'local';
  addresses?: (count: number, subnet?: string) => string[];
  stats?: { proxy: ProxyKind; url: string }[];
  /** The caller's virtual time: each send() starts at clock() instead of where the proxy's last batch ended. */
  clock?: () => number;
  /** The proxies' runtime API (Prober.runtimeApi); absent: the prober reaches none. */
  runtimeApi?: (proxy: ProxyKind, command: string) => string | undefined;
} = {}): FakeLab {
  const proxies = Object.keys(behaviours) as ProxyKind[];
  const instance: LabInstance = {
    lab: `test-${labSpec.id}`,
    runtime: options.runtime ?? 'docker',
    dir: '/tmp/none',
    spec: labSpec,
    endpoints: proxies.flatMap((proxy) => labSpec.frontends.map((f: FrontendSpec) => ({
      proxy, frontend: f.name, mode: f.mode, host: '127.0.0.1', port: f.hostPort, url: `http://127.0.0.1:${f.hostPort}`,
    }))),
    stats: options.stats ?? [],
    // No config file: the verifier falls back to the config lab.yaml renders, and compares nothing.
    proxyConfigs: [],
    notes: [],
  };
  const sent: ProbeRequest[] = [];
  const addressCalls: { count: number; subnet?: string }[] = [];
  let batch = 0;
  const clocks = new Map<ProxyKind, number>();
  const prober: Prober = {
    // A lab on the local runtime is probed from loopback only (the runtime's HostProber says so).
    sourceRange: options.runtime === 'local' ? '127.0.0.0/8' : undefined,
    async clientAddresses(count, subnet) {
      addressCalls.push({ count, subnet });
      if (options.addresses) return options.addresses(count, subnet);
      // Default: like the local runtime, 127.0.0.0/8 only.
      if (subnet && !subnet.startsWith('127.')) throw new Error(`cannot add addresses in ${subnet}`);
      return Array.from({ length: count }, (_, i) => `127.${1 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${(i % 256)}`);
    },
    async send(requests: ProbeRequest[], opts: ProbeBatchOptions = {}) {
      batch++;
      const concurrency = opts.concurrency ?? 1;
      const out: ProbeResponse[] = [];
      // Virtual time per proxy; each worker sends its next request when its last answer is in.
      const start = options.clock ? options.clock() : (clocks.get(requests[0]?.proxy ?? 'haproxy') ?? 0);
      const workers = Array.from({ length: concurrency }, () => start);
      const live: { app: string; done: number }[] = [];
      for (const req of requests) {
        sent.push(req);
        const w = workers.indexOf(Math.min(...workers));
        const now = workers[w]!;
        const inFlight = new Map<string, number>();
        for (const l of live) if (l.done > now) inFlight.set(l.app, (inFlight.get(l.app) ?? 0) + 1);
        const behaviour = behaviours[req.proxy];
        const s = behaviour ? behaviour(req, { now, inFlight, batch }) : { status: 0 };
        const delay = s.delayMs ?? 1;
        if (s.app) live.push({ app: s.app, done: now + delay });
        out.push({
          status: s.status ?? (s.app ? 200 : 0), servedBy: s.app, body: s.body ?? (s.app ? `hello from ${s.app}` : ''),
          sentAtMs: now, doneAtMs: now + delay, error: s.app || s.status ? undefined : (s.error ?? 'connection refused'),
          // A kept-alive request rides its session's one connection of the batch; any other gets its own.
          connection: req.connection === 'keepalive' ? `batch-${batch}${req.session === undefined ? '' : `-${req.session}`}` : `conn-${sent.length}`,
        });
        workers[w] = now + delay;
      }
      clocks.set(requests[0]?.proxy ?? 'haproxy', Math.max(...workers));
      return out;
    },
    async close() {},
    ...(options.runtimeApi ? { runtimeApi: async (proxy: ProxyKind, command: string) => options.runtimeApi!(proxy, command) } : {}),
  };
  return { instance, prober, sent, addressCalls };
}

export function appOf(backend: BackendSpec, server: string): string {
  return backend.servers.find((s) => s.name === server)!.app;
}

/** Smooth weighted round robin: a stand-in for HAProxy's fwrr order in unit tests. */
export function swrr(backend: BackendSpec, count: number, skip = 0): string[] {
  const servers = backend.servers.filter((s) => s.weight > 0 && !s.backup && !s.disabled);
  const total = servers.reduce((a, s) => a + s.weight, 0);
  const current = servers.map(() => 0);
  const out: string[] = [];
  for (let i = 0; i < count + skip; i++) {
    servers.forEach((s, j) => (current[j]! += s.weight));
    let best = 0;
    for (let j = 1; j < servers.length; j++) if (current[j]! > current[best]!) best = j;
    current[best]! -= total;
    if (i >= skip) out.push(servers[best]!.name);
  }
  return out;
}

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

function keyOf(backend: BackendSpec, ctx: PickContext): string {
  switch (keyKind(backend)) {
    case 'source': return ctx.sourceAddress;
    case 'uri': return ctx.uri ?? '/';
    case 'hdr': return ctx.header?.(backend.balanceArg ?? '') ?? '';
    default: return ctx.uri ?? '';
  }
}

/** A consistent ring (16 points per unit of weight, nearest point) or a map (hash mod W): stand-ins for HAProxy's. */
export function testHash(backend: BackendSpec, ctx: PickContext, down: readonly string[] = [], method = backend.hashType ?? 'map-based'): string | undefined {
  const up = backend.servers.filter((s) => s.weight > 0 && !s.disabled && !s.backup && !down.includes(s.name));
  if (up.length === 0) return undefined;
  const h = fnv(keyOf(backend, ctx));
  if (method === 'map-based') {
    const table = up.flatMap((s) => Array.from({ length: s.weight }, () => s.name));
    return table[h % table.length];
  }
  let best: { d: number; name: string } | undefined;
  for (const s of up) for (let n = 0; n < s.weight * 16; n++) {
    const p = fnv(`${s.name}#${n}`);
    const d = Math.min((p - h) >>> 0, (h - p) >>> 0);
    if (!best || d < best.d) best = { d, name: s.name };
  }
  return best!.name;
}

/** A BalanceOracle over the stand-ins: swrr order, testHash keys, given random shares. */
export function testBalanceOracle(randomShares?: Record<string, number>): BalanceOracle {
  return {
    sequence: (backend, count) => swrr(backend, count),
    assign: (backend, keys, down = []) => keys.map((k) => testHash(backend, k, down)),
    shares(backend: BackendSpec, rng: Rng) {
      if (backend.balance === 'random') return randomShares ?? {};
      const counts: Record<string, number> = {};
      const kind = keyKind(backend)!;
      for (let i = 0; i < 20_000; i++) {
        const s = testHash(backend, keyContext(backend, { value: randomKeyValue(kind, rng) }));
        if (s) counts[s] = (counts[s] ?? 0) + 1;
      }
      return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / 20_000]));
    },
  };
}
