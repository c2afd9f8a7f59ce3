/**
 * One test per kind of evidence: does what was observed rule this candidate out at α?
 * Each finding also carries a signature — equal for two candidates exactly when they predict
 * the same thing for that traffic — so that what the schedule could never separate is told
 * apart from what it separated and failed to reject.
 */
import type { BackendSpec } from '../../lab-schema/types.js';
import type { BalanceOracle } from '../oracles.js';
import { activeServers } from '../observe.js';
import { bestPhase, matchingPhases } from '../models/rotation.js';
import type { Rng } from '../rng.js';
import { binomialTestGreater, binomialTestTwoSided, chiSquareSf, chiSquareTest } from '../statistics.js';
import type { KeyedEvidence, LoadedEvidence, SequentialEvidence } from './evidence.js';
import type { Candidate } from './generate.js';
import { independentPicks, sequentialPicks, simulateClosedLoop, type BalancerFactory } from './simulate.js';
import { describeAlignment, type HaproxyStreams } from './haproxy-stream.js';

export type EvidenceKind = 'sequential' | 'keyed' | 'loaded' | 'weight-change' | 'comparison';

export interface Finding {
  evidence: EvidenceKind;
  rejected: boolean;
  pValue?: number;
  detail: string;
  signature: string;
}

const HASHES = new Set(['source', 'uri', 'hdr', 'url_param']);
export const isHash = (b: BackendSpec): boolean => HASHES.has(b.balance);
export const isRandom = (b: BackendSpec): boolean => b.balance === 'random';
/** The ring a random candidate draws on: the same servers, ids and weights give the same shares. */
const ringOf = (b: BackendSpec): string => activeServers(b).map((s) => `${b.servers.indexOf(s)}:${s.weight}`).join(',');

export interface JudgeContext {
  oracle: BalanceOracle;
  /** The oracle's balancer factory: every prediction is replayed through it. */
  make: BalancerFactory;
  rng: Rng;
  /** α for one candidate's test (split further when a candidate has several). */
  alpha: number;
  /**
   * Set when a deterministic candidate (the configured one) predicted the sequential traffic
   * exactly: a random candidate follows that order from one of `phases` starting points
   * with probability at most phases × Π p(observed), which rules it out on short sequences.
   */
  sequentialPattern?: { label: string; phases: number };
  /**
   * Set when the sequential picks may come from HAProxy 2.6's fixed-seed generator
   * (haproxy-stream.ts): once found there, random candidates are replayed on its streams
   * instead of being judged as independent draws.
   */
  streams?: HaproxyStreams;
}

/** Shares per server name as an array over `names`. */
function sharesOver(names: readonly string[], shares: Record<string, number>): number[] {
  return names.map((n) => shares[n] ?? 0);
}

function fmt(p: number): string {
  return p === 0 ? '0' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/**
 * A deterministic candidate's sequence for the sequential traffic, from the phase that
 * matches longest: `predicted[offset + i]` is its pick for request i, and `offset` picks
 * (of the first request's key) come before the traffic when it is replayed again.
 */
export function deterministicPhase(c: Candidate, ev: SequentialEvidence, jc: JudgeContext): { predicted: (string | undefined)[]; offset: number; matched: number; phases: number[] } {
  const observed = ev.servers;
  if (isHash(c.backend)) {
    // A hash has no phase: each request's server follows from its own key.
    const predicted = independentPicks(jc.make, c.backend, ev.contexts);
    let matched = 0;
    while (matched < observed.length && observed[matched] === predicted[matched]) matched++;
    return { predicted, offset: 0, matched, phases: [0] };
  }
  // A rotation has a phase (the lab may have served requests before): the lead-in
  // stand-ins only move it, whatever key they carry.
  const w = activeServers(c.backend).reduce((s, x) => s + x.weight, 0) || 1;
  const lead = 3 * w;
  const predicted = sequentialPicks(jc.make, c.backend, [...Array.from({ length: lead }, () => ev.contexts[0]!), ...ev.contexts]);
  return { predicted, ...bestPhase(predicted as string[], observed, lead), phases: matchingPhases(predicted, observed, lead) };
}

/**
 * Sequential traffic. Deterministic candidates: their own sequence from the phase that
 * matches longest (the lab may have served requests before). Random candidates: the counts
 * against the candidate's ring shares (χ²) and the repeats in disjoint pairs of consecutive
 * picks (independent draws repeat with probability Σ p², a rotation never or always does).
 */
export function sequentialFinding(c: Candidate, ev: SequentialEvidence, jc: JudgeContext): Finding {
  const observed = ev.servers;
  const n = observed.length;
  if (!isRandom(c.backend)) {
    const { predicted, offset, matched } = deterministicPhase(c, ev, jc);
    const signature = `seq:${predicted.slice(offset, offset + n).join(' ')}`;
    if (matched === n) return { evidence: 'sequential', rejected: false, detail: `all ${n} sequential picks follow its order`, signature };
    return {
      evidence: 'sequential', rejected: true, pValue: 0, signature,
      detail: `sequential request ${matched + 1} went to ${observed[matched] ?? 'no server'}, it predicts ${predicted[offset + matched] ?? 'no server'}`,
    };
  }
  const replay = jc.streams?.replay(c.backend);
  if (replay) return streamFinding(c, replay, observed);
  const signature = `random:${ringOf(c.backend)}`;
  const shares = jc.oracle.shares(c.backend, jc.rng.fork(`shares:${ringOf(c.backend)}`));
  const names = [...new Set([...Object.keys(shares), ...observed.filter((s): s is string => s !== undefined)])];
  const counts = names.map((name) => observed.filter((s) => s === name).length);
  const probs = sharesOver(names, shares);
  const impossible = names.find((name, i) => counts[i]! > 0 && probs[i] === 0);
  if (impossible) return { evidence: 'sequential', rejected: true, pValue: 0, signature, detail: `${impossible} answered; it never picks ${impossible}` };
  const live = names.map((_, i) => i).filter((i) => probs[i]! > 0);
  const chi = chiSquareTest(live.map((i) => counts[i]!), live.map((i) => probs[i]!));
  const repeatP = live.reduce((s, i) => s + probs[i]! ** 2, 0);
  let pairs = 0;
  let repeats = 0;
  for (let i = 0; i + 1 < n; i += 2) {
    if (observed[i] === undefined || observed[i + 1] === undefined) continue;
    pairs++;
    if (observed[i] === observed[i + 1]) repeats++;
  }
  const pRepeat = pairs ? binomialTestTwoSided(repeats, pairs, repeatP) : 1;
  let pPattern = 1;
  if (jc.sequentialPattern) {
    const logP = observed.reduce((s, name) => s + Math.log(name === undefined ? 1 : probs[names.indexOf(name)] ?? 1), 0);
    pPattern = Math.min(1, jc.sequentialPattern.phases * Math.exp(logP));
  }
  const tests = jc.sequentialPattern ? 3 : 2;
  const p = Math.min(chi.pValue, pRepeat, pPattern);
  const pattern = jc.sequentialPattern ? `; all ${n} in ${jc.sequentialPattern.label}'s order: p ≤ ${fmt(pPattern)} for its draws` : '';
  return {
    evidence: 'sequential', rejected: p < jc.alpha / tests, pValue: p, signature,
    detail: `χ² p = ${fmt(chi.pValue)} against its shares; ${repeats}/${pairs} consecutive pairs repeat (independent draws: ${(repeatP * 100).toFixed(1)} %), p = ${fmt(pRepeat)}${pattern}`,
  };
}

/**
 * A random candidate on HAProxy's established streams: its prediction is exact, so one
 * request elsewhere rules it out (as for any deterministic candidate).
 */
function streamFinding(c: Candidate, replay: NonNullable<ReturnType<HaproxyStreams['replay']>>, observed: readonly (string | undefined)[]): Finding {
  const signature = `stream:${replay.predicted.join(' ')}`;
  const where = `HAProxy 2.6's generator, ${describeAlignment(replay.alignment)}`;
  if (replay.firstMismatch < 0) {
    return { evidence: 'sequential', rejected: false, signature, detail: `all ${observed.length} sequential picks are its picks on ${where}` };
  }
  const i = replay.firstMismatch;
  return {
    evidence: 'sequential', rejected: true, pValue: 0, signature,
    detail: `on ${where}, sequential request ${i + 1} went to ${observed[i]}, it predicts ${replay.predicted[i] ?? 'no server'}`,
  };
}

/**
 * Keyed traffic. Hash candidates: each request's server from the candidate's own hash of its
 * key (order does not matter to a hash). Key-blind candidates: under the shuffled rounds a
 * key's requests land on its server all R times with probability Σ pᵢᴿ (pᵢ its shares), so
 * the keys that stuck are binomial; one that sends everything to one server is judged exactly.
 */
export function keyedFinding(c: Candidate, ev: KeyedEvidence, jc: JudgeContext): Finding {
  if (isHash(c.backend)) {
    const predicted = independentPicks(jc.make, c.backend, ev.contexts);
    const signature = `hash:${predicted.join(' ')}`;
    const wrong = predicted.map((p, i) => i).filter((i) => ev.servers[i] !== undefined && predicted[i] !== ev.servers[i]);
    if (wrong.length === 0) return { evidence: 'keyed', rejected: false, signature, detail: `every one of ${ev.keys} keys where its hash puts it` };
    const i = wrong[0]!;
    return {
      evidence: 'keyed', rejected: true, pValue: 0, signature,
      detail: `${wrong.length}/${ev.servers.length} keyed requests elsewhere than its hash puts them (first: request ${i + 1} went to ${ev.servers[i]}, it predicts ${predicted[i] ?? 'no server'})`,
    };
  }
  const shares = isRandom(c.backend)
    ? jc.oracle.shares(c.backend, jc.rng.fork(`shares:${ringOf(c.backend)}`))
    : c.backend.balance === 'first'
      ? Object.fromEntries(activeServers(c.backend).slice(0, 1).map((s) => [s.name, 1]))
      : Object.fromEntries(activeServers(c.backend).map((s, _i, all) => [s.name, s.weight / all.reduce((t, x) => t + x.weight, 0)]));
  // What a key-blind candidate predicts here is its shares by server name: a random one's
  // come from its ring (the same for any number of draws), a rotation's from its weights.
  const signature = isRandom(c.backend)
    ? `blind:random:${ringOf(c.backend)}:${activeServers(c.backend).map((s) => s.name).join(',')}`
    : `blind:${Object.entries(shares).sort(([a], [b]) => a.localeCompare(b)).map(([s, p]) => `${s}=${p.toFixed(3)}`).join(',')}`;
  const elsewhere = ev.servers.filter((s) => s !== undefined && !(shares[s]! > 0));
  if (elsewhere.length) return { evidence: 'keyed', rejected: true, pValue: 0, signature, detail: `${elsewhere.length} keyed requests answered by ${elsewhere[0]}, which it never picks` };
  const perKey: (string | undefined)[][] = Array.from({ length: ev.keys }, () => []);
  ev.keyOf.forEach((k, i) => perKey[k]!.push(ev.servers[i]));
  const sticky = perKey.filter((xs) => xs.length > 1 && xs.every((x) => x !== undefined && x === xs[0])).length;
  const q = Object.values(shares).reduce((s, p) => s + p ** ev.rounds, 0);
  if (q >= 1) return { evidence: 'keyed', rejected: false, signature, detail: 'it sends every request to one server: keys cannot stick more' };
  const p = binomialTestGreater(sticky, ev.keys, q);
  return {
    evidence: 'keyed', rejected: p < jc.alpha, pValue: p, signature,
    detail: `${sticky}/${ev.keys} keys kept one server over ${ev.rounds} rounds; blind to keys, each would with probability ${(q * 100).toFixed(1)} %: p = ${fmt(p)}`,
  };
}

/** Simulated runs of a random candidate's closed loop: enough for a mean and a spread. */
export const LOADED_SIMULATIONS = 40;
/**
 * What the simulation cannot know (the order in which the proxy accepts 12 near-simultaneous
 * connections, service times that are not constant): a share is never predicted closer than
 * this, so a candidate is not ruled out by a timing detail the simulation left out.
 */
export const LOADED_MODEL_SLACK = 0.05;
/** A server that every simulated run gives at least this many requests must answer some. */
export const LOADED_MIN_SILENT = 2;

/**
 * Loaded traffic: the fast servers' share (those answering fastest) under the same closed
 * loop, played against the candidate's balancer. Deterministic candidates give one share;
 * random ones a mean and spread over simulated runs. The observed share is compared with a
 * two-sided normal test whose spread is the larger of the simulated and the binomial one.
 */
export function loadedFinding(c: Candidate, ev: LoadedEvidence, jc: JudgeContext): Finding & { predictedShare: number; spread: number } {
  const fastest = Math.min(...Object.values(ev.serviceMs));
  const fast = new Set(Object.keys(ev.serviceMs).filter((s) => ev.serviceMs[s] === fastest));
  const answered = ev.servers.filter((s): s is string => s !== undefined);
  const n = answered.length;
  const observed = n ? answered.filter((s) => fast.has(s)).length / n : 0;
  const own = new Set(activeServers(c.backend).map((s) => s.name));
  const stranger = answered.find((s) => !own.has(s));
  if (stranger) {
    return {
      evidence: 'loaded', rejected: true, pValue: 0, predictedShare: observed, spread: 0, signature: `loaded:stranger:${stranger}`,
      detail: `${stranger} answered; it has no ${stranger} to pick`,
    };
  }
  const runs = isRandom(c.backend) ? LOADED_SIMULATIONS : 1;
  const shares: number[] = [];
  // The fewest requests each server got over the simulated runs: a server every run sends
  // work to cannot be silent in the lab (a server deleted from the config is).
  const fewest = new Map<string, number>(Object.keys(ev.serviceMs).map((s) => [s, Infinity]));
  for (let r = 0; r < runs; r++) {
    const counts = simulateClosedLoop(jc.make, c.backend, { clients: ev.clients, requests: n, context: ev.context, serviceMs: (s) => ev.serviceMs[s] ?? fastest }, jc.rng.fork(`loaded:${c.label}:${r}`));
    const total = Object.values(counts).reduce((s, x) => s + x, 0);
    shares.push(total ? Object.entries(counts).filter(([s]) => fast.has(s)).reduce((s, [, x]) => s + x, 0) / total : 0);
    for (const s of fewest.keys()) fewest.set(s, Math.min(fewest.get(s)!, counts[s] ?? 0));
  }
  const silent = [...fewest].find(([s, k]) => k >= LOADED_MIN_SILENT && !answered.includes(s));
  if (n > 0 && silent) {
    return {
      evidence: 'loaded', rejected: true, pValue: 0, predictedShare: observed, spread: 0, signature: `loaded:silent:${silent[0]}`,
      detail: `${silent[0]} answered none of ${n} under ${ev.clients} clients; every simulated run of it sends ${silent[0]} at least ${silent[1]}`,
    };
  }
  const mean = shares.reduce((s, x) => s + x, 0) / runs;
  const simSd = runs > 1 ? Math.sqrt(shares.reduce((s, x) => s + (x - mean) ** 2, 0) / (runs - 1)) : 0;
  const binSd = Math.sqrt(Math.max(mean * (1 - mean), 1 / Math.max(1, n)) / Math.max(1, n));
  const spread = Math.max(simSd, binSd, LOADED_MODEL_SLACK);
  const z = Math.abs(observed - mean) / spread;
  const p = chiSquareSf(z * z, 1);
  return {
    evidence: 'loaded', rejected: n > 0 && p < jc.alpha, pValue: p, predictedShare: mean, spread,
    signature: `loaded:${mean.toFixed(2)}`,
    detail: `fast servers (${[...fast].join('+')}) took ${(observed * 100).toFixed(1)} % of ${n} under ${ev.clients} clients; it predicts ${(mean * 100).toFixed(1)} % ± ${(spread * 100).toFixed(1)}: p = ${fmt(p)}`,
  };
}
