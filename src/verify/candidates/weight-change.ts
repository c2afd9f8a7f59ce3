/**
 * A weight changed at run time, as evidence: what a candidate predicts is (1) whether the
 * proxy takes the change at all — HAProxy refuses it for algorithms that compute their picks
 * once (static-rr, map-based hashing) — and (2) the sequential picks after the change and
 * after the restoration, replayed through the candidate's own balancer on from each phase
 * the picks just before the change fit. Random candidates make no exact prediction here and give no
 * finding: their draws are judged on the sequential traffic.
 */
import { isStaticBalance } from '../../proxy/balance/index.js';
import type { BackendSpec } from '../../lab-schema/types.js';
import type { PickContext } from '../../proxy/balance/types.js';
import { balanceSettings } from '../balance-oracle.js';
import type { WeightChangeEvidence } from './evidence.js';
import type { Candidate } from './generate.js';
import { deterministicPhase, isRandom, type Finding, type JudgeContext } from './rule-out.js';
import { replaySteps, type BalancerFactory, type ReplayStep } from './simulate.js';

/** Whether `set server B/S weight W` (W neither 0 nor the initial weight) is taken by this backend's algorithm. */
export function acceptsRuntimeWeight(backend: BackendSpec): boolean {
  return !isStaticBalance(balanceSettings(backend));
}

/**
 * The steps that replay the sequential traffic from `offset` picks in, then the change (when
 * the algorithm takes it), the requests during it, the restoration and the requests after.
 */
function weightChangeSteps(contexts: readonly PickContext[], offset: number, change: WeightChangeEvidence, accepts: boolean): ReplayStep[] {
  const lead = contexts[0] ?? change.during.contexts[0];
  const steps: ReplayStep[] = [
    ...Array.from({ length: offset }, () => ({ pick: lead! })),
    ...contexts.map((pick) => ({ pick })),
  ];
  if (accepts) steps.push({ weight: { server: change.server, to: change.to } });
  steps.push(...change.during.contexts.map((pick) => ({ pick })));
  if (accepts) steps.push({ weight: { server: change.server, to: change.from } });
  steps.push(...change.after.contexts.map((pick) => ({ pick })));
  return steps;
}

/** What one prediction and the observations share: the first request where they part (-1: none). */
export interface WeightChangeFit {
  predicted: (string | undefined)[];
  wrong: number;
}

/**
 * The picks after the change and after the restoration, predicted from each phase the
 * sequential picks fit (rotation.ts matchingPhases: more than one may), and the one the observations follow
 * longest — exactly when its `wrong` is -1.
 */
export function fitWeightChange(
  make: BalancerFactory, backend: BackendSpec, contexts: readonly PickContext[], phases: readonly number[], ev: WeightChangeEvidence,
): { fit: WeightChangeFit; predictions: string[] } {
  const accepts = acceptsRuntimeWeight(backend);
  const observed = [...ev.during.servers, ...ev.after.servers];
  let best: WeightChangeFit | undefined;
  const predictions = new Set<string>();
  for (const offset of phases.length ? phases : [0]) {
    const predicted = replaySteps(make, backend, weightChangeSteps(contexts, offset, ev, accepts)).slice(offset + contexts.length);
    predictions.add(predicted.join(' '));
    const wrong = observed.findIndex((s, i) => s !== predicted[i]);
    const reach = wrong < 0 ? Infinity : wrong;
    if (!best || reach > (best.wrong < 0 ? Infinity : best.wrong)) best = { predicted, wrong };
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
