/**
 * `haplab identify`: which algorithm does a running HTTP balancer use? Two kinds of traffic,
 * the same the verifier sends a lab (candidates/): sequential requests, each with its own
 * `?id=` and `Host` (rotation order against draws and hashes), then keys sent in shuffled
 * rounds — several times each, from many client addresses where the target is on loopback
 * (hashes against key-blind algorithms, and which hash). Every candidate (identify/
 * candidates.ts) is judged by the same tests as a lab's; what survives is named, grouped
 * into classes that predicted the same for every request sent.
 */
import type { BalanceOracle } from '../oracles.js';
import type { ProbeBatchOptions, ProbeRequest, ProbeResponse } from '../../runtime/types.js';
import type { BalanceEvidence } from '../candidates/evidence.js';
import { isRandom, keyedFinding, sequentialFinding, type Finding, type JudgeContext } from '../candidates/rule-out.js';
import type { BalancerFactory } from '../candidates/simulate.js';
import { probeContexts, sequentialProbes } from '../models/sequential.js';
import type { Probe } from '../models/types.js';
import type { Rng } from '../rng.js';
import { activeServers } from '../observe.js';
import { identifyCandidates, type IdentifyCandidate } from './candidates.js';
import { HaproxyStreams } from '../candidates/haproxy-stream.js';

export interface IdentifyOptions {
  /** The path every probe asks for (its query gets the probe's key). */
  path: string;
  sequential: number;
  keys: number;
  rounds: number;
  /** Client addresses to speak from (loopback aliases), or none. */
  addresses: readonly string[];
  /** How to name the server of a response (header or body pattern), or undefined. */
  serverOf(response: ProbeResponse): string | undefined;
  send(requests: Omit<ProbeRequest, 'proxy' | 'frontend'>[], options: ProbeBatchOptions): Promise<ProbeResponse[]>;
  oracle: BalanceOracle;
  make: BalancerFactory;
  rng: Rng;
  alpha: number;
}

export interface IdentifiedClass {
  /** Algorithms that predicted the same as each other for all traffic sent. */
  algorithms: string[];
  /** One fitting variant per algorithm: server order and weights. */
  variants: Record<string, string>;
  evidence: string[];
}

export interface IdentifyResult {
  requests: number;
  servers: string[];
  /** Share of sequential requests per server, with a 95 % interval. */
  shares: { server: string; share: number; low: number; high: number }[];
  fits: IdentifiedClass[];
  ruledOut: { algorithm: string; reason: string }[];
  unanswered: number;
}

function withPath(probe: Probe, base: string): Probe {
  return { ...probe, path: `${base}${base.includes('?') ? '&' : '?'}${probe.path.slice(2)}` };
}

export async function identify(o: IdentifyOptions): Promise<IdentifyResult> {
  const seqProbes = sequentialProbes(o.sequential, o.rng.fork('sequential')).map((p) => withPath(p, o.path));
  const seqResponses = await o.send(seqProbes, { concurrency: 1, pauseMs: 20 });
  const seqServers = seqResponses.map(o.serverOf);

  const keyProbes: Probe[] = [];
  const keyOf: number[] = [];
  const keyValues = Array.from({ length: o.keys }, (_, k) => ({ token: o.rng.nextUint32().toString(36), address: o.addresses.length ? o.addresses[k % o.addresses.length] : undefined }));
  for (let r = 0; r < o.rounds; r++) {
    for (const k of o.rng.shuffle(keyValues.map((_, i) => i))) {
      const v = keyValues[k]!;
      keyOf.push(k);
      keyProbes.push({ method: 'GET', path: `${o.path}${o.path.includes('?') ? '&' : '?'}id=${v.token}`, headers: { Host: `k${v.token}.haplab.test` }, connection: 'fresh', sourceAddress: v.address });
    }
  }
  const keyResponses = await o.send(keyProbes, { concurrency: 1 });
  const keyServers = keyResponses.map(o.serverOf);

  const servers = [...new Set([...seqServers, ...keyServers].filter((s): s is string => s !== undefined))];
  const counts = Object.fromEntries(servers.map((s) => [s, seqServers.filter((x) => x === s).length]));
  const answered = seqServers.filter((s) => s !== undefined).length;
  const evidence: BalanceEvidence = {
    sequential: { contexts: probeContexts(seqProbes, seqResponses), servers: seqServers },
    keyed: { contexts: probeContexts(keyProbes, keyResponses), keyOf, servers: keyServers, keys: o.keys, rounds: o.rounds },
  };
  const candidates = identifyCandidates(servers, counts);
  // Any balancer may be HAProxy 2.6, whose random picks come from fixed-seed streams: random
  // candidates are searched for on them (a sequence another balancer made never aligns).
  const streams = new HaproxyStreams(o.make, seqServers, candidates.filter((c) => isRandom(c.backend)).map((c) => c.backend));
  const jc: JudgeContext = { oracle: o.oracle, make: o.make, rng: o.rng.fork('judge'), alpha: o.alpha / 2, streams };
  const judged = new Map<IdentifyCandidate, Finding[]>();
  const judge = (c: IdentifyCandidate, ctx: JudgeContext) => judged.set(c, [
    sequentialFinding({ label: c.algorithm, kind: 'algorithm', backend: c.backend }, evidence.sequential!, ctx),
    keyedFinding({ label: c.algorithm, kind: 'algorithm', backend: c.backend }, evidence.keyed!, ctx),
  ]);
  // Deterministic candidates first: one that follows the sequence exactly lets the random
  // ones be judged on the chance of following that very order.
  for (const c of candidates.filter((x) => !isRandom(x.backend))) judge(c, jc);
  const exact = [...judged].find(([c, f]) => !f.some((x) => x.rejected) && activeServers(c.backend).length > 0);
  const w = exact ? activeServers(exact[0].backend).reduce((s, x) => s + x.weight, 0) : 0;
  for (const c of candidates.filter((x) => isRandom(x.backend))) judge(c, exact ? { ...jc, sequentialPattern: { label: exact[0].algorithm, phases: 3 * w } } : jc);

  const fitting = [...judged].filter(([, f]) => !f.some((x) => x.rejected));
  const classes = new Map<string, IdentifiedClass>();
  for (const [c, f] of fitting) {
    const signature = f.map((x) => x.signature).join('|');
    let cls = classes.get(signature);
    if (!cls) classes.set(signature, (cls = { algorithms: [], variants: {}, evidence: f.map((x) => `${x.evidence}: ${x.detail}`) }));
    if (!cls.algorithms.includes(c.algorithm)) cls.algorithms.push(c.algorithm);
    cls.variants[c.algorithm] ??= c.variant;
  }
  const merged = mergeClasses([...classes.values()]);
  const fitNames = new Set(fitting.map(([c]) => c.algorithm));
  const ruledOut: IdentifyResult['ruledOut'] = [];
  for (const [c, f] of judged) {
    if (fitNames.has(c.algorithm) || ruledOut.some((r) => r.algorithm === c.algorithm)) continue;
    ruledOut.push({ algorithm: c.algorithm, reason: f.filter((x) => x.rejected).map((x) => `${x.evidence}: ${x.detail}`).join('; ') });
  }
  const shares = servers.map((s) => ({ server: s, ...wilson(counts[s] ?? 0, answered) }));
  return {
    requests: seqResponses.length + keyResponses.length, servers, shares, fits: merged, ruledOut,
    unanswered: [...seqServers, ...keyServers].filter((s) => s === undefined).length,
  };
}

/** The Wilson score interval (95 %) for a share k/n: honest near 0 and 1, unlike ±2σ. */
export function wilson(k: number, n: number): { share: number; low: number; high: number } {
  if (n === 0) return { share: 0, low: 0, high: 1 };
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return { share: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Classes that share an algorithm are one answer (server orders of one algorithm that
 * predicted differently but both fit): merged transitively, until no two share one.
 */
export function mergeClasses(classes: readonly IdentifiedClass[]): IdentifiedClass[] {
  const merged: IdentifiedClass[] = [];
  for (const cls of classes) {
    let into: IdentifiedClass = { ...cls, algorithms: [...cls.algorithms], variants: { ...cls.variants } };
    for (let i = merged.length - 1; i >= 0; i--) {
      const other = merged[i]!;
      if (!other.algorithms.some((a) => into.algorithms.includes(a))) continue;
      merged.splice(i, 1);
      into = {
        algorithms: [...other.algorithms, ...into.algorithms.filter((a) => !other.algorithms.includes(a))],
        variants: { ...into.variants, ...other.variants },
        evidence: other.evidence,
      };
    }
    merged.push(into);
  }
  return merged;
}
