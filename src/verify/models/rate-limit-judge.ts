/**
 * Judging a rate-limited frontend (pure: planned requests and answers → checks). Each
 * address's answers, in the order it sent them, must be exactly the simulated sequence (L
 * answers from the backend, then the deny status); a burst that took longer than the
 * period proves nothing and fails with that reason rather than passing or failing on luck.
 */
import type { ProbeResponse } from '../../runtime/types.js';
import type { Check } from '../report/types.js';
import type { PlannedRequest, RateLimitFacts } from './rate-limit-plan.js';

export interface AddressAnswers {
  address: string;
  /** In the address's own send order. */
  answers: ProbeResponse[];
}

/** Groups a batch's answers by address, each in its own order. */
export function byAddress(addresses: readonly string[], planned: readonly PlannedRequest[], responses: readonly ProbeResponse[]): AddressAnswers[] {
  const out = addresses.map((address) => ({ address, answers: [] as ProbeResponse[] }));
  planned.forEach((p, i) => {
    out[p.address]!.answers[p.index] = responses[i]!;
  });
  return out;
}

function label(r: ProbeResponse | undefined, status: number): string {
  if (!r || r.status === 0) return `no answer${r?.error ? ` (${r.error})` : ''}`;
  if (r.status === status && !r.servedBy) return String(status);
  return r.servedBy ? `${r.status} ${r.servedBy}` : String(r.status);
}

/** Runs of equal labels: "10×200 api, 2×429". */
function runs(labels: readonly string[]): string {
  const out: string[] = [];
  let k = 0;
  while (k < labels.length) {
    let j = k;
    while (j < labels.length && labels[j] === labels[k]) j++;
    out.push(`${j - k}×${labels[k]}`);
    k = j;
  }
  return out.join(', ') || 'nothing';
}

/** How long an address's requests took, first sent to last answered (ms). */
export function spanMs(answers: readonly ProbeResponse[]): number {
  const sent = Math.min(...answers.map((r) => r.sentAtMs));
  const done = Math.max(...answers.map((r) => r.doneAtMs));
  return done - sent;
}

/**
 * `name`: every address got exactly `allowed` answers from the backend, then `status`.
 * `app`: the app that must answer the allowed ones.
 */
export function judgeSequences(name: string, what: string, groups: readonly AddressAnswers[], facts: RateLimitFacts, perAddress: number, app: string): Check {
  const expected = `from each of ${groups.length} addresses, ${perAddress} requests within ${facts.periodMs} ms: ${facts.allowed}×200 ${app}, then ${perAddress - facts.allowed}×${facts.status}`;
  const bad: string[] = [];
  const slow: string[] = [];
  let good = 0;
  for (const g of groups) {
    const labels = Array.from({ length: perAddress }, (_, i) => label(g.answers[i], facts.status));
    const want = labels.map((_, i) => (i < facts.allowed ? `200 ${app}` : String(facts.status)));
    const span = spanMs(g.answers);
    if (span >= facts.periodMs) slow.push(`${g.address} took ${Math.round(span)} ms`);
    if (labels.join() === want.join()) good++;
    else bad.push(`${g.address}: ${runs(labels)}`);
  }
  const pass = bad.length === 0 && slow.length === 0;
  return {
    name,
    expected,
    observed: `${good}/${groups.length} addresses exactly so${bad.length ? `; ${bad.slice(0, 3).join('; ')}` : ''}`,
    pass,
    detail: slow.length
      ? `a burst longer than the period proves nothing (the counter moved on during it): ${slow.join(', ')}`
      : `${what}; exact counts, no statistics: a limit of ${facts.allowed - 1} or ${facts.allowed + 1} gives another sequence`,
  };
}

/**
 * Clients are counted apart: some address got an answer from the backend after another
 * address had been refused (the staggered plan makes that happen under per-address counters).
 */
export function judgeIndependent(name: string, groups: readonly AddressAnswers[], facts: RateLimitFacts): Check {
  const refusals = groups.flatMap((g) => g.answers.filter((r) => r?.status === facts.status && !r.servedBy).map((r) => ({ address: g.address, at: r.doneAtMs })));
  const served = groups.flatMap((g) => g.answers.filter((r) => r?.status === 200 && r.servedBy).map((r) => ({ address: g.address, at: r.sentAtMs })));
  const firstRefusal = refusals.reduce<{ address: string; at: number } | undefined>((m, r) => (m === undefined || r.at < m.at ? r : m), undefined);
  const later = firstRefusal ? served.filter((s) => s.address !== firstRefusal.address && s.at > firstRefusal.at) : [];
  const laterAddresses = new Set(later.map((s) => s.address));
  const pass = firstRefusal !== undefined && laterAddresses.size >= groups.length - 1;
  return {
    name,
    expected: `after ${firstRefusal?.address ?? 'the first address'} is refused, each of the other ${groups.length - 1} addresses still gets answers`,
    observed: firstRefusal ? `${laterAddresses.size} other address(es) answered afterwards (${later.length} answers)` : `no request was refused with ${facts.status}`,
    pass,
    detail: firstRefusal ? 'a counter shared by every client would refuse them all once it was past the limit' : 'nothing refused: the rules did not limit anyone',
  };
}
