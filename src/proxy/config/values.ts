/** Value syntaxes shared by many keywords: HAProxy's time format (§2.5) and integers. */
import { BadInputError } from '../../errors.js';
import type { Word } from './tokenize.js';
import type { SourceRef } from './model.js';

const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** HAProxy refuses timeouts that do not fit its 32-bit signed tick counter. */
const MAX_TIME_MS = 2_147_483_647;

export function at(file: string, line: number, word?: Word): SourceRef {
  return word ? { file, line, column: word.column } : { file, line };
}

/** Parses `<number>[us|ms|s|m|h|d]`; a bare number is in milliseconds. */
export function parseTime(word: Word | undefined, what: string, where: SourceRef): number {
  if (!word || word.text === '') {
    throw new BadInputError(`'${what}' expects a time value`, where, 'write e.g. 5000, 5000ms, 5s, 1m');
  }
  const m = /^(\d+)([a-z]*)$/.exec(word.text);
  const unit = m ? UNIT_MS[m[2] === '' ? 'ms' : m[2]!] : undefined;
  if (!m || unit === undefined) {
    throw new BadInputError(
      `invalid time value '${word.text}' for '${what}'`,
      { ...where, column: word.column },
      'units are us, ms, s, m, h, d; a bare number is milliseconds',
    );
  }
  const ms = Math.ceil(Number(m[1]) * unit);
  if (ms > MAX_TIME_MS) {
    throw new BadInputError(`time value '${word.text}' for '${what}' is too large`, { ...where, column: word.column }, 'the maximum is 2147483647ms (about 24.8 days)');
  }
  return ms;
}

/**
 * HAProxy keeps these numbers in C ints: past 2^31 − 1 its atoi/strtol readings wrap or
 * clamp into a different number (or trip a "> 0" check), so none is a value to accept.
 */
export const MAX_INT = 2_147_483_647;

export function parseInteger(
  word: Word | undefined,
  what: string,
  where: SourceRef,
  given: { min?: number; max?: number } = {},
): number {
  const range = { min: given.min ?? -MAX_INT - 1, max: given.max ?? MAX_INT };
  if (!word || !/^-?\d+$/.test(word.text)) {
    throw new BadInputError(
      `'${what}' expects an integer${word ? ` (got '${word.text}')` : ''}`,
      word ? { ...where, column: word.column } : where,
      given.min !== undefined || given.max !== undefined ? `write a number from ${range.min} to ${range.max}` : 'write a whole number',
    );
  }
  const n = Number(word.text);
  if (n < range.min || n > range.max) {
    throw new BadInputError(
      `'${what}' must be within ${range.min} and ${range.max} (got ${word.text})`,
      { ...where, column: word.column },
      `write a number from ${range.min} to ${range.max}`,
    );
  }
  return n;
}

/** Splits `host:port` the way HAProxy's str2sa_range does for IPv4, names and IPv6. */
export function splitHostPort(text: string): { host: string; port?: string } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { host: text };
    const rest = text.slice(close + 1);
    return { host: text.slice(1, close), port: rest.startsWith(':') ? rest.slice(1) : undefined };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text };
  // An IPv6 address without brackets keeps everything before the last colon as host.
  return { host: text.slice(0, colon), port: text.slice(colon + 1) };
}
