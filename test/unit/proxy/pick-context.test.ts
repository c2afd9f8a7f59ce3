/**
 * RequestPickContext.header finds a field as a lowered comparison would (the balancer's
 * hdr(name) key), though it folds case in place instead of lowering copies.
 */
import { describe, expect, it } from 'vitest';
import { RequestPickContext } from '../../../src/proxy/http1/pick-context.js';

/** The comparison header() replaced: both sides lowered. */
function reference(raw: readonly string[], name: string): string | undefined {
  for (let k = 0; k < raw.length; k += 2) if (raw[k]!.toLowerCase() === name.toLowerCase()) return raw[k + 1];
  return undefined;
}

describe('RequestPickContext.header', () => {
  it('matches names whatever their case, first occurrence first', () => {
    const ctx = new RequestPickContext('10.0.0.1', '/', ['Accept', '*/*', 'HOST', 'a.example', 'host', 'b.example']);
    expect(ctx.header('host')).toBe('a.example');
    expect(ctx.header('Host')).toBe('a.example');
    expect(ctx.header('accept')).toBe('*/*');
    expect(ctx.header('hosts')).toBeUndefined();
    expect(ctx.header('hos')).toBeUndefined();
  });

  it('agrees with lowering both names, over ASCII punctuation next to letters and non-ASCII units', () => {
    // Characters whose code differs from a letter's by 0x20 only ('@' vs '`', '[' vs '{'),
    // digits, '-', and latin1/Unicode units that toLowerCase folds ('À' → 'à', 'İ' → 'i̇').
    const alphabet = ['a', 'A', 'z', 'Z', '@', '`', '[', '{', '-', '_', '0', 'À', 'à', 'İ', 'i', 'ÿ', 'Ÿ'];
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const word = (len: number): string => Array.from({ length: len }, () => alphabet[next(alphabet.length)]!).join('');
    for (let t = 0; t < 5000; t++) {
      const len = 1 + next(3);
      const raw = [word(len), 'v1', word(len), 'v2', word(1 + next(3)), 'v3'];
      const name = word(len);
      expect(new RequestPickContext('', '', raw).header(name), `${JSON.stringify(raw)} ${name}`).toBe(reference(raw, name));
    }
  });
});
