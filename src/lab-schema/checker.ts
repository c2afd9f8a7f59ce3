/**
 * The bookkeeping of spec validation (src/lab-schema/validate.ts): problems with the YAML path
 * each came from, and the checks every mapping shares (strings with length limits, ports,
 * enumerations, lists, unique values, strict keys).
 */
import { unknownKeys, type SpecMapping } from './strict-keys.js';

export interface SpecProblem {
  path: (string | number)[];
  message: string;
  hint?: string;
}

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Longest text each free-text key may hold: these strings are echoed to the terminal and
 * written into haproxy.cfg comments, app.py and README.md, so a runaway one is refused
 * with its length rather than copied (a 10 MB title took seconds and 500 MB to echo).
 */
export const MAX_LENGTH = { id: 64, name: 64, title: 200, episode: 200, proves: 1000, note: 2000, description: 500, text: 10_000, criterion: 1000, rule: 1000, fileContent: 262_144 } as const;

export function tooLong(v: string, max: number): string | undefined {
  return v.length > max ? `is ${v.length} characters long, above the limit of ${max}` : undefined;
}

export class Checker {
  readonly problems: SpecProblem[] = [];
  fail(path: (string | number)[], message: string, hint?: string): void {
    this.problems.push({ path, message, hint });
  }
  string(o: Obj, key: string, path: (string | number)[], pattern?: RegExp, maxLength: number = MAX_LENGTH.name): string | undefined {
    const v = o[key];
    if (typeof v !== 'string' || v.length === 0) {
      this.fail([...path, key], `'${key}' must be a non-empty string`);
      return undefined;
    }
    const long = tooLong(v, maxLength);
    if (long) {
      this.fail([...path, key], `'${key}' ${long}`, `shorten it to at most ${maxLength} characters`);
      return undefined;
    }
    if (pattern && !pattern.test(v)) this.fail([...path, key], `'${key}' ${JSON.stringify(v)} is not a valid name`, `use ${pattern.source}`);
    return v;
  }
  /** Refuses keys the schema does not know (src/lab-schema/strict-keys.ts), naming the nearest valid one. */
  strict(o: Obj, kind: SpecMapping, path: (string | number)[], where: string): void {
    for (const u of unknownKeys(o, kind, where)) this.fail([...path, u.key], u.message, u.hint);
  }
  flag(o: Obj, key: string, path: (string | number)[]): void {
    const v = o[key];
    if (v !== undefined && typeof v !== 'boolean') this.fail([...path, key], `'${key}' must be true or false, not ${JSON.stringify(v)}`);
  }
  port(o: Obj, key: string, path: (string | number)[]): number | undefined {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      this.fail([...path, key], `port ${JSON.stringify(v)} is out of range`, 'use a whole number from 1 to 65535');
      return undefined;
    }
    return v;
  }
  oneOf<T extends string>(o: Obj, key: string, allowed: readonly T[], path: (string | number)[], what: string): T | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.fail([...path, key], `unknown ${what} ${JSON.stringify(v)}`, `use one of: ${allowed.join(', ')}`);
      return undefined;
    }
    return v as T;
  }
  list(o: Obj, key: string, path: (string | number)[], required = true): unknown[] {
    const v = o[key];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || (required && v.length === 0)) {
      this.fail([...path, key], `'${key}' must be a non-empty list`);
      return [];
    }
    return v;
  }
  unique(seen: Map<string | number, string>, key: string | number, path: (string | number)[], what: string, owner: string): void {
    const before = seen.get(key);
    if (before !== undefined) this.fail(path, `duplicate ${what} ${JSON.stringify(key)} (also used by ${before})`, `give each a different ${what.split(' ').pop()}`);
    else seen.set(key, owner);
  }
}

