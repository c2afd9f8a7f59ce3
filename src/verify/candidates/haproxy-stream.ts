/**
 * HAProxy 2.6's random picks are not independent draws: they come from its fixed-seed
 * generator, one stream per thread (src/proxy/balance/statistical-prng.ts). A sample of
 * sequential picks is therefore one fixed sample, the same after every start, and a test of
 * independent draws (χ² against the ring's shares) refuses some samples every time. What can
 * be judged exactly instead is whether the picks ARE that generator's, replayed through
 * haplab's random balancer.
 *
 * Where the streams stand is searched, not assumed: the process may have drawn before
 * (readiness probes, earlier runs, the other random frontend). Sequential requests on fresh
 * connections reach HAProxy's threads in turn (listener.c hands an idle process's
 * connections to its threads round robin), so request i of T threads is drawn by one
 * thread per residue i mod T: each residue class is anchored on its first ANCHOR requests
 * (an offset into one thread's stream that reproduces them), then the whole sequence is
 * followed with any thread allowed for any request (a busy moment may break the turn).
 * Under sequential traffic every server's load is 0, so random(N)'s pick is its last draw's
 * server: the search reads a table of single-draw picks; the alignment found is then
 * confirmed by replaying the real balancer (N draws, loads kept) on those streams.
 */
import { availableParallelism } from 'node:os';
import type { BackendSpec } from '../../lab-schema/types.js';
import { haproxyDraws, haproxyStream } from '../../proxy/balance/statistical-prng.js';
import { activeServers } from '../observe.js';
import type { BalancerFactory } from './simulate.js';

/**
 * How far into each thread's stream an alignment may start: 65,536 draws before the run
 * (one check of ep08 takes ~2,500 per thread, so about 25 checks of a lab left up). A lab
 * that drew more is judged as independent draws, which a later stretch of the streams fits.
 */
export const STREAM_SEARCH_DRAWS = 1 << 16;
/** Threads tried: HAProxy 2.6 runs one per CPU unless `nbthread` says otherwise. */
export const STREAM_SEARCH_THREADS = Math.min(64, Math.max(4, availableParallelism()));
/** Requests per thread that anchor it: a wrong offset reproduces them with probability ≤ (largest share)^20. */
const ANCHOR = 20;
/**
 * Sequential picks enough to find the streams of any thread count searched: each thread's
 * residue class is anchored on ANCHOR requests and then followed as far again through every
 * thread, where picks that are not the generator's stop aligning (each request then fits some
 * thread's stream with probability ≤ 1 − (1 − largest share)^threads, and all of them must).
 */
export const STREAM_ALIGN_PICKS = 2 * ANCHOR * STREAM_SEARCH_THREADS;
/** Alternative thread assignments followed at once (they die within a few requests). */
const BEAM = 4096;
const NO_SERVER = 255;

export interface ThreadRun {
  thread: number;
  /** Draws the thread had taken before the first request of the run. */
  skipped: number;
  requests: number;
}

export interface StreamAlignment {
  /** Draws per pick (random(N)). */
  draws: number;
  /** Threads the requests were found on, in thread order. */
  threads: ThreadRun[];
  /** Per request (send order), the thread whose stream drew it. */
  threadOf: number[];
}

const drawsOf = (b: BackendSpec): number => Math.max(1, Number(b.balanceArg ?? 2) | 0);
const ringKey = (b: BackendSpec): string => activeServers(b).map((s) => `${b.servers.indexOf(s)}:${s.weight}`).join(',');

/** Raw draws per thread, shared by every ring. */
const rawDraws = new Map<number, Uint32Array>();
function raw(thread: number, length: number): Uint32Array {
  const have = rawDraws.get(thread);
  if (have && have.length >= length) return have;
  const made = haproxyDraws(thread, Math.max(length, (have?.length ?? 0) * 2));
  rawDraws.set(thread, made);
  return made;
}

/**
 * Per ring and thread: the slot (index among the backend's active servers) a single draw
 * picks, through the candidate's own balancer. Cached by ring and by a fingerprint of the
 * factory's first picks, so a stand-in factory never reads a real one's table.
 */
const tables = new Map<string, Map<number, Uint8Array>>();

class RingTable {
  private readonly names: string[];
  private readonly pickKey: (key: number) => string | undefined;
  private readonly perThread: Map<number, Uint8Array>;

  constructor(make: BalancerFactory, backend: BackendSpec) {
    this.names = activeServers(backend).map((s) => s.name);
    let value = 0;
    const { balancer } = make({ ...backend, balance: 'random', balanceArg: '1' }, () => value);
    this.pickKey = (key) => {
      value = key / 0x100000000;
      return balancer.pick({ sourceAddress: '127.0.0.1', uri: '/' })?.name;
    };
    const fingerprint = Array.from(raw(0, 64).subarray(0, 64), (k) => this.slotOf(this.pickKey(k))).join('');
    const key = `${ringKey(backend)}|${fingerprint}`;
    this.perThread = tables.get(key) ?? new Map();
    tables.set(key, this.perThread);
  }

  private slotOf(name: string | undefined): number {
    const i = name === undefined ? -1 : this.names.indexOf(name);
    return i < 0 ? NO_SERVER : i;
  }

  slots(thread: number, length: number): Uint8Array {
    const have = this.perThread.get(thread);
    if (have && have.length >= length) return have;
    const keys = raw(thread, length);
    const out = new Uint8Array(length);
    if (have) out.set(have);
    for (let k = have?.length ?? 0; k < length; k++) out[k] = this.slotOf(this.pickKey(keys[k]!));
    this.perThread.set(thread, out);
    return out;
  }

  /** Observed servers as slots: -1 for no answer (any pick), undefined when a server is not on this ring. */
  observed(servers: readonly (string | undefined)[]): number[] | undefined {
    const out: number[] = [];
    for (const s of servers) {
      if (s === undefined) out.push(-1);
      else if (!this.names.includes(s)) return undefined;
      else out.push(this.names.indexOf(s));
    }
    return out;
  }
}

/** The first offset into `slots` from which the requests `idx` follow, d draws each. */
function scan(slots: Uint8Array, idx: readonly number[], obs: readonly number[], d: number, limit: number): number | undefined {
  for (let o = 0; o <= limit; o++) {
    let j = 0;
    for (; j < idx.length; j++) {
      const want = obs[idx[j]!]!;
      if (want >= 0 && slots[o + d * j + d - 1] !== want) break;
    }
    if (j === idx.length) return o;
  }
  return undefined;
}

interface PathNode { pos: Int32Array; parent?: PathNode; thread: number }

/**
 * Follows the whole sequence from the anchored positions, any thread per request. Where
 * several threads could have drawn a request, the one whose turn it is (`turn`: the thread
 * of each residue class) is kept first, so the path found is the turn-taking one whenever
 * it fits: other candidates are replayed along this path.
 */
function follow(table: RingTable, starts: Map<number, number>, turn: readonly number[], obs: readonly number[], d: number, length: number): StreamAlignment | undefined {
  const threads = [...starts.keys()].sort((a, b) => a - b);
  const slots = threads.map((t) => table.slots(t, length));
  let states: PathNode[] = [{ pos: Int32Array.from(threads.map((t) => starts.get(t)!)), thread: -1 }];
  for (const [i, want] of obs.entries()) {
    const next = new Map<string, PathNode>();
    const first = threads.indexOf(turn[i % turn.length]!);
    const order = [first, ...threads.keys()].filter((k, j, all) => k >= 0 && all.indexOf(k) === j);
    for (const s of states) {
      for (const k of order) {
        const at = s.pos[k]! + d - 1;
        if (at >= length || (want >= 0 && slots[k]![at] !== want)) continue;
        const pos = s.pos.slice();
        pos[k] = pos[k]! + d;
        const key = pos.join(',');
        if (!next.has(key) && next.size < BEAM) next.set(key, { pos, parent: s, thread: threads[k]! });
      }
    }
    if (next.size === 0) return undefined;
    states = [...next.values()];
  }
  const threadOf: number[] = [];
  for (let n: PathNode | undefined = states[0]; n && n.thread >= 0; n = n.parent) threadOf.unshift(n.thread);
  return {
    draws: d, threadOf,
    threads: threads.map((t) => ({ thread: t, skipped: starts.get(t)!, requests: threadOf.filter((x) => x === t).length })),
  };
}

/** Every pick replayed through the candidate's real balancer on the aligned streams; -1 when all match, else the first request that differs. */
export function replayOnStreams(make: BalancerFactory, backend: BackendSpec, alignment: Pick<StreamAlignment, 'threads' | 'threadOf'>, servers: readonly (string | undefined)[]): { predicted: (string | undefined)[]; firstMismatch: number } {
  const streams = new Map(alignment.threads.map((t) => [t.thread, haproxyStream(t.thread, t.skipped)]));
  let current = alignment.threadOf[0] ?? 0;
  const { balancer } = make(backend, () => streams.get(current)!());
  const predicted: (string | undefined)[] = [];
  let firstMismatch = -1;
  alignment.threadOf.forEach((thread, i) => {
    current = thread;
    const s = balancer.pick({ sourceAddress: '127.0.0.1', uri: '/' });
    if (s) {
      // Sequential traffic: taken and released before the next request, as the lab saw it.
      s.activeConns++;
      balancer.taken?.(s);
      s.activeConns--;
      balancer.released?.(s);
    }
    predicted.push(s?.name);
    if (firstMismatch < 0 && servers[i] !== undefined && servers[i] !== s?.name) firstMismatch = i;
  });
  return { predicted, firstMismatch };
}

/**
 * Where the sequential picks `servers` stand in HAProxy 2.6's streams for this random
 * backend, or undefined when no thread count up to `maxThreads` and no start within
 * `maxSkip` draws reproduces them all.
 */
export function alignHaproxyStreams(
  make: BalancerFactory, backend: BackendSpec, servers: readonly (string | undefined)[],
  { maxThreads = STREAM_SEARCH_THREADS, maxSkip = STREAM_SEARCH_DRAWS } = {},
): StreamAlignment | undefined {
  if (backend.balance !== 'random' || servers.every((s) => s === undefined)) return undefined;
  const table = new RingTable(make, backend);
  const obs = table.observed(servers);
  if (!obs) return undefined;
  const d = drawsOf(backend);
  const length = maxSkip + d * (obs.length + 1);
  for (let T = 1; T <= maxThreads; T++) {
    const window = Math.min(obs.length, ANCHOR * T);
    const starts = new Map<number, number>();
    const turn: number[] = [];
    for (let r = 0; r < Math.min(T, window); r++) {
      const idx: number[] = [];
      for (let i = r; i < window; i += T) idx.push(i);
      let found = false;
      for (let t = 0; t < T && !found; t++) {
        if (starts.has(t)) continue;
        const o = scan(table.slots(t, length), idx, obs, d, maxSkip);
        if (o !== undefined) {
          starts.set(t, o);
          turn.push(t);
          found = true;
        }
      }
      if (!found) break;
    }
    if (starts.size < Math.min(T, window)) continue;
    const alignment = follow(table, starts, turn, obs, d, length);
    // The table is single draws at no load; the real balancer (N draws, loads) must agree.
    if (alignment && replayOnStreams(make, backend, alignment, servers).firstMismatch < 0) return alignment;
  }
  return undefined;
}

/** "threads 0 and 1 (from draw 3 and 0)" */
export function describeAlignment(a: StreamAlignment): string {
  const t = a.threads;
  return `${t.length === 1 ? 'thread' : 'threads'} ${t.map((x) => x.thread).join(', ')} (from draw ${t.map((x) => x.skipped.toLocaleString('en-US')).join(', ')})`;
}

/**
 * One judgement's view of the streams: the first random candidate whose picks align
 * establishes where HAProxy's streams stand; every other random candidate is then replayed
 * on those same streams (the threads and their positions belong to the process, not to the
 * candidate). Without an alignment, the picks are not HAProxy 2.6's generator's (another
 * proxy, another version, or no random at all) and the caller judges them as independent draws.
 */
export class HaproxyStreams {
  private found?: { by: BackendSpec; alignment: StreamAlignment } | null;
  private readonly replays = new Map<BackendSpec, ReturnType<typeof replayOnStreams>>();

  constructor(
    private readonly make: BalancerFactory,
    private readonly servers: readonly (string | undefined)[],
    /** Random candidates, the likeliest first (the configured one). */
    private readonly candidates: readonly BackendSpec[],
  ) {}

  established(): { by: BackendSpec; alignment: StreamAlignment } | undefined {
    if (this.found === undefined) {
      this.found = null;
      for (const b of this.candidates) {
        const alignment = alignHaproxyStreams(this.make, b, this.servers);
        if (alignment) {
          this.found = { by: b, alignment };
          break;
        }
      }
    }
    return this.found ?? undefined;
  }

  /** This candidate on the established streams; undefined when none is established. */
  replay(backend: BackendSpec): (ReturnType<typeof replayOnStreams> & { alignment: StreamAlignment }) | undefined {
    const est = this.established();
    if (!est) return undefined;
    let r = this.replays.get(backend);
    if (!r) this.replays.set(backend, (r = replayOnStreams(this.make, backend, est.alignment, this.servers)));
    return { ...r, alignment: est.alignment };
  }
}
