/**
 * The check table fitted to the terminal: nothing is cut on a wide one, cells wrap on a
 * narrow one (every line within the width, the words in order), at most CELL_LINES lines a
 * cell unless --verbose, which gives every word of every cell and each check's detail.
 */
import { describe, expect, it } from 'vitest';
import { CELL_LINES, renderChecks } from '../../../src/verify/report/terminal.js';
import type { Check } from '../../../src/verify/report/types.js';
import { fitColumns, limitLines, MIN_COLUMN, wrapText } from '../../../src/verify/report/wrap.js';

const LONG_EXPECTED = 'every full cycle of 6 requests holds server1 twice, server2 once and server3 three times, in the order HAProxy 2.6 picks them (smooth weighted round robin, first cycle from the first request)';
const checks: Check[] = [
  { name: 'rr.order', expected: LONG_EXPECTED, observed: '200/200 requests in that order', statistic: 0, pValue: 1, pass: true, detail: 'ok: 33 cycles' },
  { name: 'rr.spread', expected: 'counts 2:1:3', observed: '66, 33, 101 — server3 one too many', statistic: 12.5, pValue: 0.0019, pass: false, detail: 'χ² 12.5 on 2 degrees of freedom, beyond the α 0.001 a check may spend; first mismatch at request 17 where server1 answered and server3 was due' },
];

/** The words of a text in order, however it was wrapped. */
const words = (s: string) => s.split(/\s+/).filter(Boolean);
const tableLines = (text: string) => text.split('\n');

describe('terminal check table', () => {
  it('on a wide terminal no cell is cut: the whole expected text is on one line', () => {
    const text = renderChecks(checks, { width: 400 });
    expect(text).toContain(LONG_EXPECTED);
    expect(text).not.toContain('…');
    expect(tableLines(text).find((l) => l.startsWith('rr.order'))).toContain(LONG_EXPECTED);
  });

  it.each([60, 80, 100, 140])('at width %i every line fits and the words of each cell come back in order', (width) => {
    const text = renderChecks(checks, { width, verbose: true });
    for (const line of tableLines(text)) expect(line.length, line).toBeLessThanOrEqual(width);
    // The expected column's slice of each line, read top to bottom, is the text again.
    const head = tableLines(text)[0]!;
    const from = head.indexOf('expected');
    const to = head.indexOf('observed');
    const start = tableLines(text).findIndex((l) => l.startsWith('rr.order'));
    const end = tableLines(text).findIndex((l, i) => i > start && l.startsWith('  ↳'));
    const column = tableLines(text).slice(start, end).map((l) => l.slice(from, to).trim()).join(' ');
    expect(words(column)).toEqual(words(LONG_EXPECTED));
    // Verbose gives each check's detail too, wrapped, all of it.
    expect(words(text)).toEqual(expect.arrayContaining(words(checks[1]!.detail)));
    expect(text).toContain('ok: 33 cycles');
  });

  it('without --verbose a long cell takes at most CELL_LINES lines and ends with "…"', () => {
    const text = renderChecks(checks, { width: 70 });
    const lines = tableLines(text);
    const start = lines.findIndex((l) => l.startsWith('rr.order'));
    const end = lines.findIndex((l) => l.startsWith('rr.spread'));
    expect(end - start).toBe(CELL_LINES);
    expect(lines[end - 1]).toContain('…');
    expect(text).not.toContain('ok: 33 cycles'); // a passed check's detail only with --verbose
    expect(text).toContain('first mismatch at request 17'); // a failed one's always
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(70);
  });

  it('the verdict column stays whole at any width', () => {
    for (const width of [40, 60, 100]) {
      const lines = tableLines(renderChecks(checks, { width }));
      expect(lines.filter((l) => /\s(PASS|FAIL)$/.test(l))).toHaveLength(2);
    }
  });
});

describe('wrapping', () => {
  it('breaks at spaces, cuts only a word longer than the column', () => {
    expect(wrapText('aa bb cc', 5)).toEqual(['aa bb', 'cc']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('x abcdefgh', 4)).toEqual(['x ab', 'cdef', 'gh']);
    for (const w of [3, 7, 12]) expect(wrapText(LONG_EXPECTED, w).join('').replace(/\s/g, '')).toBe(LONG_EXPECTED.replace(/\s/g, ''));
  });

  it('limits lines with an ellipsis that stays within the width', () => {
    expect(limitLines(['abcd', 'efgh', 'ij'], 2, 4)).toEqual(['abcd', 'efg…']);
    expect(limitLines(['ab', 'cd'], 2, 4)).toEqual(['ab', 'cd']);
  });

  it('columns keep their natural width when they fit, share the rest when not', () => {
    expect(fitColumns([10, 20, 30], 100)).toEqual([10, 20, 30]);
    expect(fitColumns([10, 80, 80], 100)).toEqual([10, 45, 45]);
    expect(fitColumns([50, 50, 50], 10)).toEqual([MIN_COLUMN, MIN_COLUMN, MIN_COLUMN]);
  });
});
