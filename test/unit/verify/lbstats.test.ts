/**
 * The stats-CSV cross-check: lbtot must grow per server by exactly what the clients saw —
 * except that a request which got no answer at all may have been picked for any server of
 * its backend (a timeout after the pick), so that many extra picks are allowed there, never
 * more, and never fewer picks than answers.
 */
import { describe, expect, it } from 'vitest';
import { judgeLbTotals } from '../../../src/verify/lbstats.js';
import { tallyServed } from '../../../src/verify/models/types.js';
import type { BackendSpec } from '../../../src/lab-schema/types.js';

const totals = (o: Record<string, number>) => new Map(Object.entries(o));
const backend: BackendSpec = { name: 'b', balance: 'roundrobin', servers: [{ name: 's1', app: 'a1', weight: 1, check: false }, { name: 's2', app: 'a2', weight: 1, check: false }] };

describe('judgeLbTotals', () => {
  it('passes exact agreement and fails any difference when every request was answered', () => {
    expect(judgeLbTotals(totals({ 'b/s1': 0, 'b/s2': 0 }), totals({ 'b/s1': 3, 'b/s2': 2 }), { 'b/s1': 3, 'b/s2': 2 }).pass).toBe(true);
    expect(judgeLbTotals(totals({ 'b/s1': 0 }), totals({ 'b/s1': 4 }), { 'b/s1': 3 })).toMatchObject({ pass: false, detail: 'b/s1: lbtot +4, clients saw 3' });
  });

  it('allows as many extra picks as requests got no answer, in that backend, and no more', () => {
    const clients = tallyServed(backend, [
      { status: 200, servedBy: 'a1', body: '', sentAtMs: 0, doneAtMs: 1 },
      { status: 0, body: '', error: 'timeout', sentAtMs: 0, doneAtMs: 1 },
      { status: 0, body: '', error: 'timeout', sentAtMs: 0, doneAtMs: 1 },
      // A proxy's own 503 picked no server: not slack.
      { status: 503, body: '', sentAtMs: 0, doneAtMs: 1 },
    ]);
    expect(clients).toEqual({ 'b/s1': 1, 'b/(no answer)': 2 });
    const ok = judgeLbTotals(totals({ 'b/s1': 0, 'b/s2': 0 }), totals({ 'b/s1': 2, 'b/s2': 1 }), clients);
    expect(ok).toMatchObject({ pass: true, detail: expect.stringContaining('2 more picks in b than answers seen, within its 2 requests that got no answer') });
    expect(judgeLbTotals(totals({ 'b/s1': 0, 'b/s2': 0 }), totals({ 'b/s1': 3, 'b/s2': 1 }), clients).pass).toBe(false);
    // Fewer picks than answers is never explained by a lost answer.
    expect(judgeLbTotals(totals({ 'b/s1': 0 }), totals({ 'b/s1': 0 }), clients).pass).toBe(false);
  });
});
