/**
 * The verdict of discrimination for one backend on one proxy: the configured candidate must
 * be consistent with what was observed, and every candidate that predicts something else
 * for this schedule must be ruled out at α. Candidates the schedule cannot separate from the
 * configured one (they predict the same for every request sent) are listed as not ruled out,
 * with that reason, and do not fail the check; a candidate the schedule could separate but
 * did not reject fails it. When the configured candidate itself is rejected, the candidates
 * that fit are named: that is what the lab is most likely running.
 */
import type { BackendSpec, Mode } from '../../lab-schema/types.js';
import type { Check } from '../report/types.js';
import type { BalanceEvidence } from './evidence.js';
import { candidatesFor, type Candidate, type CandidateKind } from './generate.js';
import { isHash, isRandom, keyedFinding, loadedFinding, sequentialFinding, type Finding, type JudgeContext } from './rule-out.js';
import { activeServers } from '../observe.js';
import { HaproxyStreams } from './haproxy-stream.js';
import { algorithmName } from '../algorithm-name.js';
import { weightChangeFinding } from './weight-change.js';

export type CandidateStatus = 'consistent' | 'inconsistent' | 'ruled-out' | 'not-ruled-out' | 'not-separated';

export interface CandidateOutcome {
  label: string;
  kind: CandidateKind;
  /**
   * configured: consistent | inconsistent. Others, when the configured one is inconsistent:
   * ruled-out or consistent (what the lab may be running instead). Otherwise: ruled-out; not-ruled-out (predicts the
   * same as the configured one here: nothing this schedule sends could tell them apart);
   * not-separated (predicts something else, yet the evidence did not reject it: fails).
   */
  status: CandidateStatus;
  reason: string;
  findings: Finding[];
}

export interface CandidateReport {
  backend: string;
  configured: string;
  outcomes: CandidateOutcome[];
}

/** z for a one-sided 1 % test plus z for 99 % power: the gap a loaded share must show to be separable. */
const SEPARATION_Z = 2 * 2.326;

function findingsFor(c: Candidate, ev: BalanceEvidence, jc: JudgeContext): Finding[] {
  const out: Finding[] = [];
  if (ev.sequential) out.push(sequentialFinding(c, ev.sequential, jc));
  if (ev.keyed) out.push(keyedFinding(c, ev.keyed, jc));
  if (ev.loaded) out.push(loadedFinding(c, ev.loaded, jc));
  const weight = ev.weightChange ? weightChangeFinding(c, ev.weightChange, jc) : undefined;
  if (weight) out.push(weight);
  for (const cmp of ev.comparisons ?? []) {
    if (c.kind === 'configured') {
      // The comparison is the configured algorithm's own claim (e.g. random(2) beats a real
      // random(1) under load): failing it is evidence against the configured one.
      out.push({ evidence: 'comparison', rejected: !cmp.check.pass, pValue: cmp.check.pValue, signature: 'cmp:configured', detail: `${cmp.check.name}: ${cmp.check.observed}` });
      continue;
    }
    const named = cmp.rulesOut.includes(algorithmName(c.backend));
    out.push({
      evidence: 'comparison', rejected: named && cmp.check.pass, pValue: named ? cmp.check.pValue : undefined,
      signature: named ? `cmp:${cmp.check.name}:${algorithmName(c.backend)}` : 'cmp:configured',
      detail: named ? `${cmp.check.name}: ${cmp.check.observed}` : `${cmp.check.name} does not speak of it`,
    });
  }
  return out;
}

/** Whether two candidates' predictions differ on some evidence the run holds. */
function separable(mine: readonly Finding[], configured: readonly Finding[]): string | undefined {
  for (const f of mine) {
    const g = configured.find((x) => x.evidence === f.evidence);
    if (!g) continue;
    if (f.evidence === 'loaded') {
      const a = f as Finding & { predictedShare?: number; spread?: number };
      const b = g as Finding & { predictedShare?: number; spread?: number };
      const gap = Math.abs((a.predictedShare ?? 0) - (b.predictedShare ?? 0));
      if (gap > SEPARATION_Z * Math.max(a.spread ?? 0, b.spread ?? 0)) return f.evidence;
    } else if (f.signature !== g.signature) return f.evidence;
  }
  return undefined;
}

export function judgeCandidates(prefix: string, backend: BackendSpec, mode: Mode, ev: BalanceEvidence, jc: JudgeContext): { check: Check; report: CandidateReport } {
  const candidates = candidatesFor(backend, mode);
  const [configured, ...others] = candidates;
  // Each candidate meets every kind of evidence once: split α over the kinds.
  const kinds = Number(!!ev.sequential) + Number(!!ev.keyed) + Number(!!ev.loaded) || 1;
  const per: JudgeContext = { ...jc, alpha: jc.alpha / kinds };
  if (ev.sequential?.haproxyStreams) {
    per.streams = new HaproxyStreams(jc.make, ev.sequential.servers, candidates.filter((c) => isRandom(c.backend)).map((c) => c.backend));
  }
  const confFindings = findingsFor(configured!, ev, per);
  const confRejected = confFindings.filter((f) => f.rejected);
  const outcomes: CandidateOutcome[] = [{
    label: configured!.label, kind: 'configured', findings: confFindings,
    status: confRejected.length ? 'inconsistent' : 'consistent',
    reason: confRejected.length ? confRejected.map((f) => f.detail).join('; ') : 'consistent with every observation',
  }];
  const confSequential = confFindings.find((f) => f.evidence === 'sequential');
  if (confSequential && !confSequential.rejected && !isRandom(configured!.backend)) {
    const w = activeServers(configured!.backend).reduce((s, x) => s + x.weight, 0) || 1;
    per.sequentialPattern = { label: configured!.label, phases: isHash(configured!.backend) ? 1 : 3 * w };
  }
  for (const c of others) {
    const findings = findingsFor(c, ev, per);
    const rejected = findings.filter((f) => f.rejected);
    if (rejected.length) {
      outcomes.push({ label: c.label, kind: c.kind, findings, status: 'ruled-out', reason: rejected.map((f) => `${f.evidence}: ${f.detail}`).join('; ') });
      continue;
    }
    if (outcomes[0]!.status === 'inconsistent') {
      // The configured algorithm is out: what survives is what the lab most likely runs.
      outcomes.push({ label: c.label, kind: c.kind, findings, status: 'consistent', reason: 'fits every observation' });
      continue;
    }
    const on = separable(findings, confFindings);
    outcomes.push(on
      ? { label: c.label, kind: c.kind, findings, status: 'not-separated', reason: `it predicts other ${on} traffic, yet nothing observed rejects it` }
      : { label: c.label, kind: c.kind, findings, status: 'not-ruled-out', reason: `this schedule cannot separate it from ${configured!.label}: ${findings.map((f) => `${f.evidence}: ${f.detail}`).join('; ')}` });
  }
  return { check: candidateCheck(prefix, outcomes), report: { backend: backend.name, configured: configured!.label, outcomes } };
}

function candidateCheck(prefix: string, outcomes: readonly CandidateOutcome[]): Check {
  const conf = outcomes[0]!;
  const ruledOut = outcomes.filter((o) => o.status === 'ruled-out');
  const same = outcomes.filter((o) => o.status === 'not-ruled-out');
  const open = outcomes.filter((o) => o.status === 'not-separated');
  const fits = outcomes.filter((o) => o.kind !== 'configured' && o.status !== 'ruled-out').map((o) => o.label);
  const pass = conf.status === 'consistent' && open.length === 0;
  const parts: string[] = [];
  if (conf.status === 'inconsistent') parts.push(`${conf.label} does not fit: ${conf.reason}${fits.length ? `; what fits: ${fits.join(', ')}` : '; no candidate fits'}`);
  if (open.length) parts.push(`not separated: ${open.map((o) => `${o.label} (${o.reason})`).join('; ')}`);
  if (same.length) parts.push(`not ruled out (this schedule cannot separate them): ${same.map((o) => o.label).join(', ')}`);
  parts.push(`ruled out: ${ruledOut.map((o) => o.label).join(', ') || 'none'}`);
  return {
    name: `${prefix}.candidates`,
    expected: `${conf.label} fits, and every candidate that predicts otherwise is ruled out`,
    observed: `${conf.status === 'consistent' ? 'fits' : 'does not fit'}; ${ruledOut.length} ruled out, ${same.length} not ruled out (inseparable here), ${open.length} not separated`,
    pass,
    detail: parts.join(' · '),
  };
}
