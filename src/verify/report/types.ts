/**
 * The report (README.md), the verifier's one output; the terminal, JSON and JUnit writers
 * all render this object.
 *
 * One proxy ran: a Report with proxy "haproxy" or "ts", exactly the §3 fields plus `notes`,
 * `seed` and `expectedCounts`.
 * Both ran (--proxy both): the top-level Report has proxy "both" and carries, in `reports`,
 * one full Report per proxy, side by side, judged on the same generated traffic. Its own
 * fields still follow §3 so that a consumer reading only the top level stays right:
 * `verdict` fails when any per-proxy report fails, `requests` and `counts` are the sums,
 * `checks` holds the cross-proxy checks (parity) and `notes` the run-wide notes.
 */
import type { ProxyChoice } from '../../lab-schema/types.js';
import type { RuntimeKind } from '../../runtime/types.js';
import type { CandidateReport } from '../candidates/judge.js';

export interface Check {
  /** Dotted, says what is checked and where: "rr.order", "acl.block_front → 403 (deny)". */
  name: string;
  /** What the model says must be observed, in words and numbers. */
  expected: string;
  observed: string;
  /** The test statistic, for statistical checks (χ², a count for exact binomial tests). */
  statistic?: number;
  pValue?: number;
  /** False for failed AND for skipped checks: a skipped check is never a pass. */
  pass: boolean;
  /** Why it passed or failed: sample size, power, first mismatches. */
  detail: string;
  /** Present when the check could not run honestly; says why. */
  skipped?: string;
  /** The config lines this check would catch a change of (ACL checks: "acl … (haproxy.cfg line N)"). */
  covers?: string[];
}

export type Verdict = 'pass' | 'fail';

export interface Report {
  /** The lab's name (its directory / Docker label). */
  lab: string;
  /** The episode id from the spec ("ep09"). */
  episode: string;
  proxy: ProxyChoice;
  runtime: RuntimeKind;
  /** The primary backend's algorithm as HAProxy spells it: "roundrobin", "random(2)", "source (consistent)". */
  algorithm: string;
  verdict: Verdict;
  /** Requests sent (to this proxy; the sum over proxies at the top level of a "both" report). */
  requests: number;
  /** Responses per server of the check the lab is about ("backend/server" where names repeat). */
  counts: Record<string, number>;
  /** What the model expects for the same number of requests, for the bar chart. */
  expectedCounts?: Record<string, number>;
  checks: Check[];
  notes: string[];
  /** The seed every random choice came from: `--seed` with it repeats the run. */
  seed: string;
  /** Per balancing backend: every candidate algorithm, ruled out or not, with the evidence. */
  candidates?: CandidateReport[];
  /** Only on a "both" report: one report per proxy. */
  reports?: Report[];
  /** The proxy's haproxy.cfg compared with lab.yaml's (per-proxy reports; absent when the runtime names no file). */
  configDrift?: ConfigDriftReport;
  /** The haproxy.cfg this proxy ran, as it was read at verify (per-proxy reports; absent when the runtime names no file). */
  config?: RunningConfig;
}

/** A proxy's config file and its text, so a saved report shows what ran (the HTML report prints it). */
export interface RunningConfig {
  file: string;
  text: string;
}

/** How the haproxy.cfg a proxy runs differs from the one lab.yaml renders (verify/config-drift.ts). */
export interface ConfigDriftReport {
  /** The file the proxy runs. */
  file: string;
  /** One entry per section that differs, e.g. "backend servers: server3 removed"; empty: none does. */
  differences: string[];
  /** Why the file could not be compared (unreadable, or rejected by haplab's parser). */
  error?: string;
}

/**
 * A check that ran decides the verdict; a skipped one does not, but a report in which
 * nothing at all could be checked fails: nothing was proven.
 */
export function verdictOf(checks: readonly Check[], children: readonly Report[] = []): Verdict {
  const ran = checks.filter((c) => !c.skipped);
  if (ran.some((c) => !c.pass)) return 'fail';
  if (children.some((r) => r.verdict === 'fail')) return 'fail';
  if (ran.length === 0 && children.length === 0) return 'fail';
  return 'pass';
}

/** A check that could not run honestly: never a pass. */
export function skippedCheck(name: string, expected: string, reason: string): Check {
  return { name, expected, observed: '—', pass: false, detail: reason, skipped: reason };
}
