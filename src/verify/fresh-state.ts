/**
 * Checks that judge an order from a fresh start cannot be judged once a server of the
 * backend went DOWN and came back: HAProxy takes it out of fwrr's tree and puts it back at a
 * position that depends on when (lb_fwrr.c), so from then on the rotation follows another
 * order than a fresh proxy's, with the same counts in every cycle. The proxy's stats page
 * says whether that happened (chkdown, the UP→DOWN transitions since it started), read
 * before the run: those checks are then skipped with the reason, and the per-cycle counts
 * are still judged. docs/verification.md, "A lab that lost a server and got it back".
 */
import { skippedCheck, type Check } from './report/types.js';
import { statsRows } from './stats-page-csv.js';

/** "backend/server (chkdown N)" for each server of `backend` that went DOWN since the proxy started. */
export function serversThatWentDown(csv: string, backend: string): string[] {
  return [...statsRows(csv)]
    .filter(([key, row]) => key.startsWith(`${backend}/`) && Number(row.chkdown) > 0)
    .map(([key, row]) => `${key.slice(backend.length + 1)} (chkdown ${row.chkdown})`);
}

/** rr.order, the candidates' replay, and the weight change planned from the order's phase. */
function judgesFreshOrder(check: Check): boolean {
  return /\.order$/.test(check.name) || /\.runtime-weight$/.test(check.name) || check.name === 'balance.candidates';
}

/** `checks` with those that judge a fresh order skipped, when a server went down before the run. */
export function withoutFreshOrderChecks(checks: readonly Check[], wentDown: readonly string[]): Check[] {
  if (wentDown.length === 0) return [...checks];
  const reason = `${wentDown.join(', ')} went DOWN and came back since the proxy started (its stats page): the rotation no longer follows a fresh start's order; \`haplab check\`, or \`down\` then \`up\`, judges it`;
  return checks.map((c) => (judgesFreshOrder(c) && !c.skipped ? skippedCheck(c.name, c.expected, reason) : c));
}
