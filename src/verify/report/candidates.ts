/** The candidates table of a report: which algorithms the evidence ruled out, which it could not, and why. */
import type { CandidateReport } from '../candidates/judge.js';

const MARK: Record<string, string> = {
  consistent: 'fits', inconsistent: 'DOES NOT FIT', 'ruled-out': 'ruled out', 'not-ruled-out': 'not ruled out', 'not-separated': 'NOT SEPARATED',
};

export function renderCandidates(reports: readonly CandidateReport[] | undefined, options: { verbose?: boolean } = {}): string {
  if (!reports?.length) return '';
  const out: string[] = [];
  for (const r of reports) {
    const ruledOut = r.outcomes.filter((o) => o.status === 'ruled-out');
    out.push(`candidates for backend ${r.backend}: ${ruledOut.length} of ${r.outcomes.length - 1} alternatives ruled out`);
    for (const o of r.outcomes) {
      // Ruled-out ones are many and alike: one line each, their reason only when asked.
      if (o.status === 'ruled-out' && !options.verbose) continue;
      out.push(`  ${MARK[o.status]!.padEnd(14)} ${o.label}: ${o.reason}`);
    }
    if (!options.verbose && ruledOut.length) out.push(`  ruled out:     ${ruledOut.map((o) => o.label).join(', ')} (reasons in --json)`);
  }
  return out.join('\n');
}
