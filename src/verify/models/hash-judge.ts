/**
 * Judges for the hashing algorithms (source, uri, hdr, url_param), pure functions of keys
 * and the servers they reached. See hash.ts for the traffic.
 */
import type { BackendSpec } from '../../lab-schema/types.js';
import type { BalanceOracle } from '../oracles.js';
import { activeServers } from '../observe.js';
import type { Check } from '../report/types.js';
import { binomialAcceptance, binomialTestTwoSided } from '../statistics.js';
import { keyContext, type HashKey } from '../hash-keys.js';
import { fmtP, fmtShare } from '../observe.js';

/** Servers each key reached, over every round (undefined entries: no server answered). */
export type KeyServers = (string | undefined)[][];

export function judgeSticky(keys: readonly HashKey[], reached: KeyServers): Check {
  const bad: string[] = [];
  let stuck = 0;
  reached.forEach((servers, i) => {
    const distinct = new Set(servers);
    if (distinct.size === 1 && !distinct.has(undefined)) stuck++;
    else if (bad.length < 3) bad.push(`${keys[i]!.value} → ${servers.map((s) => s ?? 'none').join(', ')}`);
  });
  const rounds = reached[0]?.length ?? 0;
  return {
    name: 'hash.sticky',
    expected: `every key on one server in all ${rounds} rounds (100 %)`,
    observed: `${stuck}/${keys.length} keys stuck`,
    pass: keys.length > 0 && stuck === keys.length,
    detail: bad.length ? `not stuck: ${bad.join('; ')}` : `${keys.length} keys × ${rounds} requests, each key always on the same server`,
  };
}

/** Each key on the server the oracle (HAProxy's own hashing) names. */
export function judgeAgainstOracle(name: string, backend: BackendSpec, keys: readonly HashKey[], reached: readonly (string | undefined)[], oracle: BalanceOracle, down: readonly string[] = []): Check {
  const expected = oracle.assign(backend, keys.map((k) => keyContext(backend, k)), down);
  const bad: string[] = [];
  let good = 0;
  keys.forEach((k, i) => {
    if (reached[i] === expected[i]) good++;
    else if (bad.length < 3) bad.push(`${k.value}: ${reached[i] ?? 'none'}, expected ${expected[i] ?? 'none'}`);
  });
  return {
    name,
    expected: `every key on the server HAProxy's hash gives${down.length ? ` with ${down.join(', ')} down` : ''}`,
    observed: `${good}/${keys.length} keys`,
    pass: keys.length > 0 && good === keys.length,
    detail: bad.length ? `first mismatches: ${bad.join('; ')}` : 'all keys where the model puts them',
  };
}

export interface MoveOutcome {
  /** Keys answered before and after. */
  keys: number;
  moved: number;
  /** Keys that were on the stopped server. */
  onStopped: number;
  /** Keys that moved although their server was not stopped. */
  movedElsewhere: number;
}

export function countMoves(before: readonly (string | undefined)[], after: readonly (string | undefined)[], stopped: string): MoveOutcome {
  let keys = 0;
  let moved = 0;
  let onStopped = 0;
  let movedElsewhere = 0;
  before.forEach((b, i) => {
    const a = after[i];
    if (b === undefined || a === undefined) return;
    keys++;
    if (b === stopped) onStopped++;
    if (a !== b) {
      moved++;
      if (b !== stopped) movedElsewhere++;
    }
  });
  return { keys, moved, onStopped, movedElsewhere };
}

/** Consistent hashing: removing a server moves its keys and no others. */
export function judgeOnlyStoppedMoved(stopped: string, moves: MoveOutcome): Check {
  return {
    name: 'hash.consistent.only-stopped-moved',
    expected: `only the ${stopped}'s keys move; every other key stays`,
    observed: `${moves.moved} of ${moves.keys} moved, ${moves.movedElsewhere} of them not from ${stopped}`,
    pass: moves.keys > 0 && moves.movedElsewhere === 0 && moves.moved === moves.onStopped,
    detail: moves.movedElsewhere ? 'keys of servers still up were remapped: that is map-based behaviour, not consistent hashing' : `${moves.onStopped} keys were on ${stopped}, all moved`,
  };
}

/** The moved share against its expectation, with an exact binomial tolerance. */
export function judgeMovedShare(hashType: string, expectedShare: number, source: string, moves: MoveOutcome, alpha: number, serversBefore: number): Check {
  const { lo, hi } = binomialAcceptance(moves.keys, expectedShare, alpha);
  const p = moves.keys > 0 ? binomialTestTwoSided(moves.moved, moves.keys, expectedShare) : 0;
  return {
    name: `hash.${hashType}.moved-share`,
    expected: `≈ ${fmtShare(expectedShare)} of keys move when 1 of ${serversBefore} servers stops (${source}); ${lo}–${hi} of ${moves.keys} at α = ${alpha.toPrecision(3)}`,
    observed: `${moves.moved}/${moves.keys} = ${moves.keys ? fmtShare(moves.moved / moves.keys) : '—'}`,
    statistic: moves.moved,
    pValue: p,
    pass: moves.keys > 0 && p >= alpha,
    detail: `two-sided exact binomial p = ${fmtP(p)}`,
  };
}

/**
 * Map-based hashing without the oracle. HAProxy's map (lb_map.c) has one slot per unit of
 * weight after dividing every weight by their gcd g, so W = Σw/g slots; a key sits in slot
 * hash mod W. A key stays only if its old slot and its new one (hash mod W', W' = W − w_stopped/g)
 * hold the same server. When gcd(W, W') = 1 the two residues of a uniform hash are
 * independent, and each server fills w/g of the W slots whatever the layout, so
 *   P(stay) = Σ_{s ≠ stopped} (w_s / gW)(w_s / gW'),  moved = 1 − P(stay)
 * — for N equal servers 1 − 1/N (2/3 of keys for 3), against ≈ 1/N for consistent hashing.
 * Otherwise the residues are correlated and the table's layout matters: undefined here
 * (the balance oracle then gives the answer).
 */
export function mapBasedMovedShare(backend: BackendSpec, stopped: string): number | undefined {
  const servers = activeServers(backend);
  const g = servers.reduce((acc, s) => gcd(acc, s.weight), 0);
  if (g === 0) return undefined;
  const w = servers.reduce((s, x) => s + x.weight / g, 0);
  const ws = (servers.find((s) => s.name === stopped)?.weight ?? 0) / g;
  const w2 = w - ws;
  if (w2 <= 0 || gcd(w, w2) !== 1) return undefined;
  const stay = servers.filter((s) => s.name !== stopped).reduce((acc, s) => acc + (s.weight / g / w) * (s.weight / g / w2), 0);
  return 1 - stay;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
