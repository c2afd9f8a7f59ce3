/**
 * A weight changed at run time, after a rotation's sequential traffic: the one schedule that
 * tells roundrobin from static-rr (for fixed weights both give the same order). Through the
 * proxy's runtime API (`set server B/S weight W`): roundrobin takes the weight and its order
 * changes at once; static-rr, which computes its order once, refuses it. The weight is then
 * set back, and more requests confirm where the rotation went on.
 *
 * A weight changed and set back leaves fwrr's hidden state changed for good: the next
 * change, made by a later `verify` of a lab left up, would then go where no fresh balancer
 * goes (docs/verification.md). So the phase runs only where the lab goes down after the run
 * (`haplab check`; `verify --weight-change` asks for it on a running lab). The change is
 * chosen by replaying the configured balancer from every phase the rotation was observed
 * at: a server, a weight and a number of requests that change the order from each.
 */
import { RUNTIME_API_PORT, type BackendSpec, type ProxyKind } from '../../lab-schema/types.js';
import type { PickContext } from '../../proxy/balance/types.js';
import type { BalanceOracle } from '../oracles.js';
import { activeServers, serverSequence } from '../observe.js';
import type { WeightChangeEvidence } from '../candidates/evidence.js';
import { replaySteps, type BalancerFactory, type ReplayStep } from '../candidates/simulate.js';
import { acceptsRuntimeWeight, fitWeightChange, weightChangeOutcomes, weightRivals, type WeightRival } from '../candidates/weight-change.js';
import { skippedCheck, type Check } from '../report/types.js';
import { cycleLength, matchingPhases } from './rotation.js';
import { probeContexts, sequentialProbes } from './sequential.js';
import { tallyServed, type ModelContext, type ProxyOutcome } from './types.js';

export interface WeightChangePlan {
  server: string;
  from: number;
  to: number;
  /** Requests while the weight is changed, and after it is set back. */
  during: number;
  after: number;
}

/** The request a plan is made with: the rotations it plans for read no key. */
const KEYLESS: PickContext = { sourceAddress: '127.0.0.1', uri: '/' };

/** Every sequence of picks `backend`'s balancer can give from `position` picks in through `plan` (weight-change.ts weightChangeOutcomes), each joined by spaces. */
export function plannedOutcomes(make: BalancerFactory, backend: BackendSpec, position: number, plan: WeightChangePlan): string[] {
  const keys = (n: number) => Array.from({ length: n }, () => KEYLESS);
  const schedule = { server: plan.server, from: plan.from, to: plan.to, during: keys(plan.during), after: keys(plan.after) };
  return weightChangeOutcomes(make, backend, keys(position), schedule).map((picks) => picks.join(' '));
}

/**
 * The smallest change (fewest requests while it lasts) that moves the order of `backend`'s
 * balancer at each of `positions` picks in (every phase the observations fit), and after
 * which no rival (weight-change.ts weightRivals) gives what the configured balancer does,
 * under any release timing: on ep05 the smallest change that moves fwrr is exactly what
 * leastconn gives when HAProxy applies the restoring command before it frees the last stream
 * (docs/verification.md). A change that only moves the order is the fallback when none parts
 * from every rival. Undefined when no weight tried moves it. The backend must take weights
 * at run time.
 */
export function planWeightChange(
  make: BalancerFactory, backend: BackendSpec, positions: readonly number[], rivals: readonly WeightRival[] = [],
): WeightChangePlan | undefined {
  const servers = activeServers(backend);
  const w = cycleLength(backend);
  if (servers.length < 2 || w === 0) return undefined;
  const picks = (n: number): ReplayStep[] => Array.from({ length: n }, () => ({ pick: KEYLESS }));
  const maxWeight = Math.max(...servers.map((s) => s.weight));
  // The untouched rotation from each position, as far as any change tried lasts: replayed once.
  const untouched = new Map(positions.map((p) => [p, replaySteps(make, backend, picks(p + 2 * w)).slice(p)]));
  const moves = (position: number, server: string, to: number, during: number): boolean => {
    const before = untouched.get(position)!;
    const after = replaySteps(make, backend, [...picks(position), { weight: { server, to } }, ...picks(during)]).slice(position);
    return after.some((v, i) => v !== before[i]);
  };
  const parts = (plan: WeightChangePlan): boolean => {
    const mine = new Set(positions.flatMap((p) => plannedOutcomes(make, backend, p, plan)));
    return rivals.every((r) => r.positions.every((p) => plannedOutcomes(make, r.backend, p, plan).every((o) => !mine.has(o))));
  };
  let moving: WeightChangePlan | undefined;
  for (let during = 1; during <= 2 * w; during++) {
    for (const s of servers) {
      for (let to = 1; to <= 2 * maxWeight + 1; to++) {
        if (to === s.weight || !positions.every((position) => moves(position, s.name, to, during))) continue;
        const plan = { server: s.name, from: s.weight, to, during, after: 2 * w };
        if (parts(plan)) return plan;
        moving ??= plan;
      }
    }
  }
  return moving;
}

/** The phase on one proxy: plans, changes, sends, restores, sends, judges. */
export async function runWeightChange(
  ctx: ModelContext, frontend: string, backend: BackendSpec, proxy: ProxyKind, outcome: ProxyOutcome, oracle: BalanceOracle,
): Promise<{ check: Check; evidence?: WeightChangeEvidence }> {
  const name = 'rr.runtime-weight';
  const expectation = acceptsRuntimeWeight(backend)
    ? `${backend.balance} takes a weight set through the runtime API: its order changes at once, and after the weight is set back goes on as fwrr's replay says`
    : `${backend.balance} refuses a weight set through the runtime API (its order is computed once) and goes on unchanged`;
  const prober = ctx.prober;
  const api = prober.runtimeApi ? (p: ProxyKind, c: string) => prober.runtimeApi!(p, c) : undefined;
  if (!ctx.changeWeights) return { check: skippedCheck(name, expectation, 'a lab left up keeps its weights: `haplab check` (whose lab goes down after) or `verify --weight-change` changes one to tell static-rr from roundrobin') };
  if (ctx.serversChanged) return { check: skippedCheck(name, expectation, "another check of this run stopped a server or failed its health checks, which moves fwrr's hidden state: a weight change could not be predicted") };
  const make: BalancerFactory | undefined = oracle.balancer?.bind(oracle);
  if (!make) return { check: skippedCheck(name, expectation, 'no balancer factory in the balance oracle: the change cannot be planned') };
  if (!api) return { check: skippedCheck(name, expectation, 'this runtime reaches no proxy runtime API: static-rr cannot be told from roundrobin') };
  if (outcome.checks.some((c) => c.name === 'rr.order' && !c.pass)) return { check: skippedCheck(name, expectation, 'the rotation did not follow its order: there is no phase to plan a weight change from') };
  const w = cycleLength(backend);
  const send = async (count: number, label: string) => {
    const probes = sequentialProbes(count, ctx.rng.fork(label));
    const rs = (await ctx.send({ label, frontend, probes, options: { concurrency: 1 }, only: proxy })).get(proxy) ?? [];
    tallyServed(backend, rs, outcome.served);
    outcome.requests += rs.length;
    return { contexts: probeContexts(probes, rs), servers: serverSequence(backend, rs) };
  };
  // Where the rotation stands now (other checks of the run may have moved it): two cycles.
  // A request lost or a server briefly down on a loaded machine leaves no phase to plan
  // from: that is the run's noise, so the phase is measured again, a few times. Without it
  // the change, the one schedule here that tells roundrobin from static-rr and leastconn,
  // cannot be made, and the check fails rather than skips: a skip would pass those too.
  let before = await send(2 * w, `weight-before:${proxy}`);
  let phases = beforePhases(oracle, backend, before.servers);
  for (let attempt = 2; attempt <= PHASE_ATTEMPTS && !phases.length; attempt++) {
    before = await send(2 * w, `weight-before:${proxy}:${attempt}`);
    phases = beforePhases(oracle, backend, before.servers);
  }
  if (!phases.length) {
    return { check: { name, expected: expectation, observed: 'no weight change made', pass: false, detail: `the rotation did not follow its order just before the change, in ${PHASE_ATTEMPTS} tries (the last: ${before.servers.map((s) => s ?? '?').join(' ')}): no change could be planned, and without one ${backend.balance} cannot be told from ${backend.balance === 'static-rr' ? 'roundrobin' : 'static-rr'} or leastconn` } };
  }
  const mode = ctx.spec.frontends.find((f) => f.name === frontend)?.mode ?? 'http';
  const plan = acceptsRuntimeWeight(backend)
    ? planWeightChange(make, backend, phases.map((offset) => offset + before.servers.length), weightRivals(make, backend, mode, before.servers))
    : staticPlan(backend);
  if (!plan) return { check: skippedCheck(name, expectation, `no weight change moves the rotation from phase ${phases[0]! % w}`) };

  const command = (to: number) => `set server ${backend.name}/${plan.server} weight ${to}`;
  const answer = await api(proxy, command(plan.to));
  // Every haproxy.cfg haplab renders opens the socket, so silence there means the line was
  // taken out: a lab switched to static-rr could hide behind it, so the change fails rather
  // than skips (asked for by `check` or `--weight-change`, never by a plain verify).
  if (answer === undefined) return { check: noRuntimeApi(name, expectation, proxy) };
  const during = await send(plan.during, `weight-change:${proxy}`);
  const restored = await api(proxy, command(plan.from));
  const after = await send(plan.after, `weight-restored:${proxy}`);
  const evidence: WeightChangeEvidence = { server: plan.server, from: plan.from, to: plan.to, accepted: answer.trim() === '', answer, before, during, after };
  return { check: judgeWeightChange(name, expectation, backend, make, before.contexts, phases, evidence, restored), evidence };
}

/** Tries at measuring the rotation's phase just before the change. */
const PHASE_ATTEMPTS = 3;

/** The offsets into the configured sequence (three cycles of lead-in) that `servers` follows to the end. */
function beforePhases(oracle: BalanceOracle, backend: BackendSpec, servers: readonly (string | undefined)[]): number[] {
  const w = cycleLength(backend);
  return matchingPhases(oracle.sequence(backend, 3 * w + servers.length), servers, 3 * w);
}

function noRuntimeApi(name: string, expectation: string, proxy: ProxyKind): Check {
  const line = `stats socket ipv4@127.0.0.1:${RUNTIME_API_PORT} level admin`;
  return {
    name,
    expected: expectation,
    observed: 'no runtime API answered',
    pass: false,
    detail: `nothing answered on ${proxy}'s runtime API, which every haproxy.cfg haplab renders opens with \`${line}\`: put that line back in the global section; without it static-rr cannot be told from roundrobin`,
  };
}

/** A static backend refuses any change: the first server one up, for as long as a cycle. */
function staticPlan(backend: BackendSpec): WeightChangePlan | undefined {
  const s = activeServers(backend)[0];
  const w = cycleLength(backend);
  return s && w ? { server: s.name, from: s.weight, to: s.weight + 1, during: w, after: w } : undefined;
}

export function judgeWeightChange(
  name: string, expectation: string, backend: BackendSpec, make: BalancerFactory,
  contexts: readonly PickContext[], phases: readonly number[], ev: WeightChangeEvidence, restoreAnswer: string | undefined,
): Check {
  const accepts = acceptsRuntimeWeight(backend);
  const { fit } = fitWeightChange(make, backend, contexts, phases, ev);
  const observed = [...ev.during.servers, ...ev.after.servers];
  const command = `set server ${backend.name}/${ev.server} weight ${ev.to}`;
  const took = ev.accepted ? 'took' : `refused ("${ev.answer.trim()}")`;
  const wrong = fit.wrong;
  const restoreFailed = accepts && restoreAnswer !== undefined && restoreAnswer.trim() !== '';
  const pass = ev.accepted === accepts && wrong < 0 && !restoreFailed;
  const n = ev.during.servers.length;
  let detail = `\`${command}\` ${took}; ${n} requests: ${ev.during.servers.map((s) => s ?? '?').join(' ')}; set back to ${ev.from}, ${ev.after.servers.length} more: ${ev.after.servers.map((s) => s ?? '?').join(' ')}`;
  if (ev.accepted !== accepts) detail = `\`${command}\` ${took}, and ${backend.balance} ${accepts ? 'takes' : 'refuses'} it · ${detail}`;
  else if (wrong >= 0) detail = `${wrong < n ? `request ${wrong + 1} after the change` : `request ${wrong - n + 1} after the weight was set back`} went to ${observed[wrong] ?? 'no server'}, expected ${fit.predicted[wrong] ?? 'no server'} · ${detail}`;
  if (restoreFailed) detail = `setting the weight back to ${ev.from} was refused: "${restoreAnswer!.trim()}" · ${detail}`;
  return {
    name,
    expected: expectation,
    observed: pass ? `${ev.accepted ? 'took' : 'refused'} the change; all ${observed.length} requests in the predicted order` : ev.accepted !== accepts ? `${ev.accepted ? 'took' : 'refused'} the change` : `${wrong}/${observed.length} in the predicted order`,
    pass,
    detail,
  };
}
