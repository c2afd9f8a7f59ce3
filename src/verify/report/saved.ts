/**
 * A report saved with --json, read back for `haplab report FILE.json --html OUT`: a lab's
 * report (verify, check), a catalogue's (check --all) or identify's. The kind is told by its
 * fields; a file that is none of them is refused with the field that is missing.
 */
import type { IdentifyRecord } from './html/identify.js';
import type { SuiteReport } from './suite.js';
import type { Report } from './types.js';

export type SavedReport =
  | { kind: 'lab'; report: Report }
  | { kind: 'suite'; report: SuiteReport }
  | { kind: 'identify'; report: IdentifyRecord };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function missing(o: Record<string, unknown>, fields: Record<string, 'string' | 'number' | 'array' | 'object'>): string | undefined {
  for (const [k, t] of Object.entries(fields)) {
    const v = o[k];
    const ok = t === 'array' ? Array.isArray(v) : t === 'object' ? isObject(v) : typeof v === t;
    if (!ok) return `"${k}" (${t})`;
  }
  return undefined;
}

const LAB_FIELDS = { lab: 'string', episode: 'string', proxy: 'string', verdict: 'string', seed: 'string', requests: 'number', counts: 'object', checks: 'array', notes: 'array' } as const;

/** The report in `value`, or a sentence saying why it is not one. */
export function readSavedReport(value: unknown): SavedReport | string {
  if (!isObject(value)) return 'not a JSON object';
  if (value.kind === 'suite') {
    const gap = missing(value, { verdict: 'string', labs: 'array' });
    if (gap) return `a catalogue report without ${gap}`;
    for (const [i, lab] of (value.labs as unknown[]).entries()) {
      if (!isObject(lab) || typeof lab.episode !== 'string') return `labs[${i}] has no "episode"`;
      if (lab.report !== undefined) {
        const inner = readSavedReport(lab.report);
        if (typeof inner === 'string') return `labs[${i}].report: ${inner}`;
      }
    }
    return { kind: 'suite', report: value as unknown as SuiteReport };
  }
  if ('fits' in value || 'ruledOut' in value) {
    const gap = missing(value, { target: 'string', seed: 'string', requests: 'number', servers: 'array', shares: 'array', fits: 'array', ruledOut: 'array' });
    return gap ? `an identify result without ${gap}` : { kind: 'identify', report: value as unknown as IdentifyRecord };
  }
  const gap = missing(value, LAB_FIELDS);
  if (gap) return `not a haplab report: no ${gap}`;
  for (const [i, c] of (value.checks as unknown[]).entries()) {
    if (!isObject(c) || typeof c.name !== 'string' || typeof c.expected !== 'string' || typeof c.observed !== 'string') return `checks[${i}] lacks name, expected or observed`;
  }
  if (value.reports !== undefined) {
    if (!Array.isArray(value.reports)) return '"reports" is not an array';
    for (const [i, r] of value.reports.entries()) {
      const inner = readSavedReport(r);
      if (typeof inner === 'string') return `reports[${i}]: ${inner}`;
    }
  }
  return { kind: 'lab', report: value as unknown as Report };
}
