/**
 * Micro-benchmark of server selection, run by bench/run.ts in its own process (a clean
 * heap, no event loop traffic): for each algorithm and backend size, ns per request.
 *
 * One "pick" is what the data path does per request (src/proxy/runtime.ts take/release):
 * pick(), bump activeConns, taken(), and release a request picked 32 picks earlier, so
 * leastconn sees a moving load and the stateful algorithms pay their bookkeeping. Keys
 * (client address, URI, Host) vary over 4,096 precomputed contexts, so hash algorithms
 * hash different strings and no JIT constant-folds a single key.
 *
 * The contexts are what the proxy hands the balancer: a RequestPickContext (its header()
 * lookup included) over strings decoded from bytes with latin1, as the HTTP/1 parser does
 * (src/proxy/http1/request-head.ts). Template literals would give V8 cons strings, whose
 * every charCodeAt goes through an indirection the proxy's flat strings do not pay.
 *
 *   node dist/bench/micro/select.js [--sizes 3,100,1000] [--runs 7] [--picks 200000]
 * prints one JSON object on stdout.
 */
import { createBalancer, type BalanceSettings, type LbServer, type PickContext } from '../../src/proxy/balance/index.js';
import { RequestPickContext } from '../../src/proxy/http1/pick-context.js';

export interface MicroVariant {
  label: string;
  settings: BalanceSettings;
}

export interface MicroOutput {
  sizes: number[];
  runs: number;
  picks: number;
  /** label → size → median ns per pick. */
  ns: Record<string, Record<string, number>>;
  /** label → size → fastest run: closer to the true cost when the machine is busy. */
  minNs: Record<string, Record<string, number>>;
}

const MAP: BalanceSettings['hashType'] = { method: 'map-based', fn: 'sdbm', avalanche: false };
const CONSISTENT: BalanceSettings['hashType'] = { method: 'consistent', fn: 'sdbm', avalanche: false };
const URI = { whole: false, len: 0, depth: 0, pathOnly: false };

export const VARIANTS: MicroVariant[] = [
  { label: 'roundrobin', settings: { algorithm: 'roundrobin', hashType: MAP, draws: 2 } },
  { label: 'static-rr', settings: { algorithm: 'static-rr', hashType: MAP, draws: 2 } },
  { label: 'leastconn', settings: { algorithm: 'leastconn', hashType: MAP, draws: 2 } },
  { label: 'first', settings: { algorithm: 'first', hashType: MAP, draws: 2 } },
  { label: 'random(2)', settings: { algorithm: 'random', hashType: MAP, draws: 2 } },
  { label: 'source map-based', settings: { algorithm: 'source', hashType: MAP, draws: 2 } },
  { label: 'source consistent', settings: { algorithm: 'source', hashType: CONSISTENT, draws: 2 } },
  { label: 'uri map-based', settings: { algorithm: 'uri', uri: URI, hashType: MAP, draws: 2 } },
  { label: 'uri consistent', settings: { algorithm: 'uri', uri: URI, hashType: CONSISTENT, draws: 2 } },
  { label: 'hdr(host) map-based', settings: { algorithm: 'hdr', arg: 'host', useDomainOnly: false, hashType: MAP, draws: 2 } },
  { label: 'url_param(id) consistent', settings: { algorithm: 'url_param', arg: 'id', hashType: CONSISTENT, draws: 2 } },
];

const KEYS = 4096;
const IN_FLIGHT = 32;

/** A flat one-byte string, as Buffer#toString('latin1') gives the parser's fields. */
function wire(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function contexts(): PickContext[] {
  const out: PickContext[] = [];
  for (let i = 0; i < KEYS; i++) {
    // A request head as wrk sends it: Host first, then a couple of other fields.
    const rawHeaders = ['Host', wire(`shop${i % 977}.example.com`), wire('User-Agent'), wire('wrk'), wire('Accept'), wire('*/*')];
    const source = wire(`10.${(i >> 8) & 255}.${i & 255}.${(i * 7 + 1) & 255}`);
    const uri = wire(`/catalog/${i % 613}/item/${i}?id=${(i * 2654435761) >>> 0}&lang=en`);
    out.push(new RequestPickContext(source, uri, rawHeaders));
  }
  return out;
}

function servers(n: number): LbServer[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `s${i + 1}`, weight: 1, backup: false, up: true, activeConns: 0 }));
}

/** ns per pick for one run; the balancer is built outside the timed loop. */
function once(settings: BalanceSettings, size: number, ctxs: PickContext[], picks: number): number {
  const b = createBalancer(settings, servers(size));
  const ring: (LbServer | undefined)[] = new Array(IN_FLIGHT).fill(undefined);
  const began = process.hrtime.bigint();
  for (let k = 0; k < picks; k++) {
    const s = b.pick(ctxs[k & (KEYS - 1)]!);
    if (s === undefined) throw new Error(`${settings.algorithm}: no server picked`);
    s.activeConns++;
    b.taken?.(s);
    const slot = k & (IN_FLIGHT - 1);
    const old = ring[slot];
    ring[slot] = s;
    if (old) {
      old.activeConns--;
      b.released?.(old);
    }
  }
  return Number(process.hrtime.bigint() - began) / picks;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const sizes = flag('--sizes', '3,100,1000').split(',').map(Number);
const runs = Number(flag('--runs', '7'));
const picks = Number(flag('--picks', '200000'));
const ctxs = contexts();
const out: MicroOutput = { sizes, runs, picks, ns: {}, minNs: {} };
for (const v of VARIANTS) {
  out.ns[v.label] = {};
  out.minNs[v.label] = {};
  for (const size of sizes) {
    once(v.settings, size, ctxs, picks); // warm-up: let V8 optimise before timing
    const samples: number[] = [];
    for (let r = 0; r < runs; r++) samples.push(once(v.settings, size, ctxs, picks));
    out.ns[v.label]![String(size)] = median(samples);
    out.minNs[v.label]![String(size)] = Math.min(...samples);
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
