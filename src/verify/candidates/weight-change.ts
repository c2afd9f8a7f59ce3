/**
 * A weight changed at run time, as evidence: what a candidate predicts is (1) whether the
 * proxy takes the change at all — HAProxy refuses it for algorithms that compute their picks
 * once (static-rr, map-based hashing) — and (2) the sequential picks after the change and
 * after the restoration, replayed through the candidate's own balancer on from each phase
 * the picks just before the change fit. Random candidates make no exact prediction here and give no
 * finding: their draws are judged on the sequential traffic.
 */
import { isStaticBalance } from '../../proxy/balance/index.js';
import type { BackendSpec, Mode } from '../../lab-schema/types.js';
import type { PickContext } from '../../proxy/balance/types.js';
import { balanceSettings } from '../balance-oracle.js';
import type { WeightChangeEvidence } from './evidence.js';
import { cycleLength, matchingPhases } from '../models/rotation.js';
import { candidatesFor, type Candidate } from './generate.js';
import { deterministicPhase, isHash, isRandom, type Finding, type JudgeContext } from './rule-out.js';
import { replaySteps, sequentialPicks, type BalancerFactory, type ReplayStep } from './simulate.js';

/** Whether `set server B/S weight W` (W neither 0 nor the initial weight) is taken by this backend's algorithm. */
export function acceptsRuntimeWeight(backend: BackendSpec): boolean {
  return !isStaticBalance(balanceSettings(backend));
}

/**
 * Another rotation that takes a weight at run time (leastconn, first, roundrobin with other
 * weights, …) and fits the picks just before a change as well as the configured one does:
 * `positions` are the picks into its own sequence (from a fresh start) it may stand at.
 */
export interface WeightRival {
  label: string;
  backend: BackendSpec;
  positions: number[];
}

/**
 * The rivals a weight change must part from: every deterministic, non-hash candidate that
 * takes the change and whose sequence `before` follows. Hashes and random draws are judged
 * on other evidence; an algorithm that refuses the change is told apart by the refusal.
 */
export function weightRivals(make: BalancerFactory, configured: BackendSpec, mode: Mode, before: readonly (string | undefined)[]): WeightRival[] {
  const key: PickContext = { sourceAddress: '127.0.0.1', uri: '/' };
  const out: WeightRival[] = [];
  for (const c of candidatesFor(configured, mode)) {
    if (c.kind === 'configured' || isHash(c.backend) || isRandom(c.backend) || !acceptsRuntimeWeight(c.backend)) continue;
    // As deterministicPhase: three cycles of lead-in cover any phase the lab may stand at.
    const lead = 3 * (cycleLength(c.backend) || 1);
    const sequence = sequentialPicks(make, c.backend, Array.from({ length: lead + before.length }, () => key));
    const positions = matchingPhases(sequence, before, lead).map((p) => p + before.length);
    if (positions.length) out.push({ label: c.label, backend: c.backend, positions });
  }
  return out;
}

/** A weight change as sent: the server, its weight before and the one set, the requests while it lasts and after it is set back. */
export interface WeightSchedule {
  server: string;
  from: number;
  to: number;
  during: readonly PickContext[];
  after: readonly PickContext[];
}

/** Whether the pick just before each command (the change, then the restoration) is released after it (simulate.ts ReplayStep). */
const RELEASE_TIMINGS = [[false, false], [true, false], [false, true], [true, true]] as const;

/**
 * Every sequence of picks `schedule` can give on `backend`'s balancer after the `lead`
 * picks, one per release timing, without repeats. A rotation gives one; leastconn, whose
 * order follows connections, may give several.
 */
export function weightChangeOutcomes(make: BalancerFactory, backend: BackendSpec, lead: readonly PickContext[], schedule: WeightSchedule): (string | undefined)[][] {
  const accepts = acceptsRuntimeWeight(backend);
  const outcomes = new Map<string, (string | undefined)[]>();
  for (const [changeLate, restoreLate] of RELEASE_TIMINGS) {
    const steps: ReplayStep[] = lead.map((pick, i) => ({ pick, releaseLate: changeLate && i === lead.length - 1 }));
    if (accepts) steps.push({ weight: { server: schedule.server, to: schedule.to } });
    steps.push(...schedule.during.map((pick, i) => ({ pick, releaseLate: restoreLate && i === schedule.during.length - 1 })));
    if (accepts) steps.push({ weight: { server: schedule.server, to: schedule.from } });
    steps.push(...schedule.after.map((pick) => ({ pick })));
    const picks = replaySteps(make, backend, steps).slice(lead.length);
    outcomes.set(picks.join(' '), picks);
  }
  return [...outcomes.values()];
}

/** What one prediction and the observations share: the first request where they part (-1: none). */
export interface WeightChangeFit {
  predicted: (string | undefined)[];
  wrong: number;
}

/**
 * The picks after the change and after the restoration, predicted from each phase the
 * sequential picks fit (rotation.ts matchingPhases: more than one may) under each release
 * timing, and the one the observations follow longest — exactly when its `wrong` is -1.
 */
export function fitWeightChange(
  make: BalancerFactory, backend: BackendSpec, contexts: readonly PickContext[], phases: readonly number[], ev: WeightChangeEvidence,
): { fit: WeightChangeFit; predictions: string[] } {
  const observed = [...ev.during.servers, ...ev.after.servers];
  const schedule: WeightSchedule = { server: ev.server, from: ev.from, to: ev.to, during: ev.during.contexts, after: ev.after.contexts };
  const first = contexts[0] ?? ev.during.contexts[0]!;
  let best: WeightChangeFit | undefined;
  const predictions = new Set<string>();
  for (const offset of phases.length ? phases : [0]) {
    const lead = [...Array.from({ length: offset }, () => first), ...contexts];
    for (const predicted of weightChangeOutcomes(make, backend, lead, schedule)) {
      predictions.add(predicted.join(' '));
      const wrong = observed.findIndex((s, i) => s !== predicted[i]);
      const reach = wrong < 0 ? Infinity : wrong;
      if (!best || reach > (best.wrong < 0 ? Infinity : best.wrong)) best = { predicted, wrong };
    }
  }
  return { fit: best!, predictions: [...predictions].sort() };
}

export function weightChangeFinding(c: Candidate, ev: WeightChangeEvidence, jc: JudgeContext): Finding | undefined {
  if (isRandom(c.backend)) return undefined;
  const accepts = acceptsRuntimeWeight(c.backend);
  const { offset, phases } = deterministicPhase(c, ev.before, jc);
  const { fit, predictions } = fitWeightChange(jc.make, c.backend, ev.before.contexts, phases.length ? phases : [offset], ev);
  const observed = [...ev.during.servers, ...ev.after.servers];
  const signature = `weight:${accepts ? 'takes' : 'refuses'}:${predictions.join(' | ')}`;
  const command = `set server …/${ev.server} weight ${ev.to}`;
  if (accepts !== ev.accepted) {
    return {
      evidence: 'weight-change', rejected: true, pValue: 0, signature,
      detail: ev.accepted
        ? `the proxy took \`${command}\`; it computes its picks once and refuses a weight changed at run time`
        : `the proxy refused \`${command}\` ("${ev.answer.trim()}"); it takes weights at run time`,
    };
  }
  const during = ev.during.servers.length;
  const i = fit.wrong;
  if (i < 0) {
    return {
      evidence: 'weight-change', rejected: false, signature,
      detail: `${accepts ? 'took' : 'refused'} \`${command}\` as it does, and all ${observed.length} requests after it (${during} before the weight was set back to ${ev.from}) follow its picks`,
    };
  }
  const when = i < during ? `request ${i + 1} after \`${command}\`` : `request ${i - during + 1} after the weight was set back to ${ev.from}`;
  return {
    evidence: 'weight-change', rejected: true, pValue: 0, signature,
    detail: `${when} went to ${observed[i] ?? 'no server'}, it predicts ${fit.predicted[i] ?? 'no server'}`,
  };
}
