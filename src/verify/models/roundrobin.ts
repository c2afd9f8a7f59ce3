/**
 * Round robin (roundrobin, static-rr; first by order only). Deterministic, so no statistics:
 *  - cycle counts: every W consecutive requests (W = sum of the active weights) hold each
 *    server exactly `weight` times — true of any window of a W-periodic sequence, so it
 *    needs no knowledge of where the proxy's rotation stood;
 *  - order: the sequence is HAProxy's own (the balance oracle, proven identical to HAProxy's
 *    fwrr / static-rr), judged relative to the observed phase, because the lab may already
 *    have served requests: find the offset of the expected sequence that the first response
 *    matches, then require every later one to follow.
 */
import type { BackendSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import type { BalanceOracle } from '../oracles.js';
import { activeServers, answeredCheck, countByServer, serverSequence } from '../observe.js';
import { bestPhase, cycleLength } from './rotation.js';
import { probeContexts, sequentialProbes } from './sequential.js';
import { runWeightChange } from './runtime-weight.js';
import type { Rng } from '../rng.js';
import { skippedCheck, type Check } from '../report/types.js';
import { atLeast, tallyServed, type Batch, type Model, type ModelContext, type ModelResult, type Probe, type ProxyOutcome } from './types.js';

/**
 * Requests to send: whole cycles, at least 3, and enough that a weight-proportional random
 * balancer would follow the expected order from any phase with probability below alpha
 * (Σ_phases Π p(server) < alpha), so passing the order check means something.
 */
export function roundRobinRequests(backend: BackendSpec, alpha: number, minRequests?: number): number {
  const servers = activeServers(backend);
  const w = cycleLength(backend);
  if (w === 0) return 0;
  const maxShare = Math.max(...servers.map((s) => s.weight / w));
  let length = 1;
  while (w * maxShare ** length >= alpha && length < 10_000) length++;
  const cycles = Math.max(3, Math.ceil(length / w));
  const wanted = atLeast(cycles * w, minRequests);
  return Math.ceil(wanted / w) * w;
}

export function planRoundRobin(frontend: string, count: number, rng: Rng): Batch {
  return { label: 'rotation', frontend, probes: sequentialProbes(count, rng), options: { concurrency: 1 } };
}

/** Every full block of W consecutive responses has each server exactly `weight` times. */
export function judgeCycleCounts(prefix: string, backend: BackendSpec, sequence: readonly (string | undefined)[]): Check {
  const servers = activeServers(backend);
  const w = cycleLength(backend);
  const expected = servers.map((s) => `${s.name}×${s.weight}`).join(' ');
  const blocks = Math.floor(sequence.length / w);
  let good = 0;
  let firstBad = '';
  for (let b = 0; b < blocks; b++) {
    const block = sequence.slice(b * w, (b + 1) * w);
    const ok = servers.every((s) => block.filter((x) => x === s.name).length === s.weight);
    if (ok) good++;
    else if (!firstBad) firstBad = `block ${b + 1} (requests ${b * w + 1}–${(b + 1) * w}): ${block.map((x) => x ?? '?').join(' ')}`;
  }
  return {
    name: `${prefix}.cycle-counts`,
    expected: `${expected} in every ${w} consecutive requests`,
    observed: `${good}/${blocks} blocks exact`,
    pass: blocks > 0 && good === blocks,
    detail: blocks === 0 ? `fewer than ${w} requests answered` : firstBad ? `first wrong ${firstBad}` : `${blocks} blocks of ${w}, all exact`,
  };
}

/** The observed order against the oracle's, from the observed phase. */
export function judgeOrder(prefix: string, backend: BackendSpec, sequence: readonly (string | undefined)[], oracle: BalanceOracle | undefined): Check {
  const name = `${prefix}.order`;
  const w = cycleLength(backend);
  if (!oracle) return skippedCheck(name, "HAProxy's own order", 'no balance oracle wired (src/proxy/balance): the order cannot be known, only the counts per cycle');
  // 3 cycles of lead-in cover any transient before the sequence settles into its period.
  const offsets = 3 * w;
  const expected = oracle.sequence(backend, offsets + sequence.length);
  const { offset, matched } = bestPhase(expected, sequence, offsets);
  const cycle = expected.slice(offset, offset + w).join(' ');
  const pass = matched === sequence.length && sequence.length > 0;
  return {
    name,
    expected: `HAProxy's sequence, one period: ${cycle}`,
    observed: pass ? `all ${sequence.length} in order` : `${matched}/${sequence.length} in order`,
    pass,
    detail: pass
      ? `phase ${offset % w} of the ${w}-request cycle (the lab had served requests before; the phase is taken from the first response)`
      : `from phase ${offset % w}, request ${matched + 1} went to ${sequence[matched] ?? 'no server'}, expected ${expected[offset + matched]}`,
  };
}

export function roundRobinModel(frontend: string, backend: BackendSpec): Model {
  return {
    name: backend.balance,
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const count = roundRobinRequests(backend, ctx.stats.alpha, ctx.minRequests);
      ctx.onStep?.(`${backend.balance}: ${count} sequential requests to ${frontend}`);
      const batch = planRoundRobin(frontend, count, ctx.rng.fork('rotation'));
      const responses = await ctx.send(batch);
      const perProxy: ModelResult['perProxy'] = new Map();
      for (const [proxy, rs] of responses) perProxy.set(proxy, judgeRoundRobin('rr', backend, rs, ctx.oracles.balance, batch.probes));
      return { perProxy, notes: [] };
    },
    // roundrobin and static-rr give one order for fixed weights: only a weight changed at run
    // time tells them apart. It leaves fwrr changed (runtime-weight.ts), so it comes last.
    async late(ctx: ModelContext, result: ModelResult): Promise<void> {
      const oracle = ctx.oracles.balance;
      if (!oracle || (backend.balance !== 'roundrobin' && backend.balance !== 'static-rr')) return;
      for (const [proxy, outcome] of result.perProxy) {
        ctx.onStep?.(`${backend.balance}: a weight changed at run time on ${proxy}`);
        const { check, evidence } = await runWeightChange(ctx, frontend, backend, proxy, outcome, oracle);
        outcome.checks.push(check);
        if (evidence && outcome.evidence) outcome.evidence = { ...outcome.evidence, weightChange: evidence };
      }
    },
  };
}

/** All round-robin checks for one proxy's responses. */
export function judgeRoundRobin(
  prefix: string, backend: BackendSpec, responses: readonly ProbeResponse[], oracle: BalanceOracle | undefined, probes?: readonly Probe[],
): ProxyOutcome {
  const sequence = serverSequence(backend, responses);
  const w = cycleLength(backend);
  const checks: Check[] = [answeredCheck(`${prefix}.answered`, backend, responses)];
  if (backend.balance !== 'first') checks.push(judgeCycleCounts(prefix, backend, sequence));
  checks.push(judgeOrder(prefix, backend, sequence, oracle));
  const expectedCounts = Object.fromEntries(activeServers(backend).map((s) => [s.name, (responses.length * s.weight) / w]));
  return {
    checks,
    requests: responses.length,
    counts: countByServer(backend, responses),
    expectedCounts: backend.balance === 'first' ? undefined : expectedCounts,
    served: tallyServed(backend, responses),
    // Without the probes (TCP connections carry no keys) there is no sequential evidence to replay.
    evidence: probes ? { sequential: { contexts: probeContexts(probes, responses), servers: sequence } } : undefined,
  };
}
