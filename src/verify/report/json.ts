/**
 * `--json F`: the report exactly as the Report type (README.md), two-space indented.
 * Non-finite numbers (an infinite χ² when a server the model excludes answered) are written
 * as strings, since JSON has no Infinity.
 */
import { writeFile } from 'node:fs/promises';
import type { SuiteReport } from './suite.js';
import type { Report } from './types.js';

export function reportToJson(report: Report | SuiteReport): string {
  return `${JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2)}\n`;
}

export async function writeJsonReport(file: string, report: Report | SuiteReport): Promise<void> {
  await writeFile(file, reportToJson(report), 'utf8');
}
