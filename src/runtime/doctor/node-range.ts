/**
 * Whether a Node version satisfies package.json's `engines.node`: the range forms npm
 * writes there (`>=20.10`, `^20.19 || >=22`, `>=20 <25`, `20.x`), without a semver
 * dependency. A form not understood counts as satisfied: doctor then says nothing false.
 */
type Version = [number, number, number];

function parse(text: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(text.trim());
  if (!m) return undefined;
  const n = (s: string | undefined) => (s === undefined || s === 'x' || s === '*' ? 0 : Number(s));
  return [Number(m[1]), n(m[2]), n(m[3])];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function satisfiesComparator(v: Version, comparator: string): boolean | undefined {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(v?\d[\w.*]*)$/.exec(comparator);
  if (!m) return undefined;
  const bound = parse(m[2]!);
  if (!bound) return undefined;
  const c = compare(v, bound);
  const parts = m[2]!.replace(/^v/, '').split('.').filter((p) => p !== 'x' && p !== '*').length;
  switch (m[1]) {
    case '>=': return c >= 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '<': return c < 0;
    case '^': return c >= 0 && v[0] === bound[0];
    case '~': return c >= 0 && v[0] === bound[0] && v[1] === bound[1];
    default: // a bare or x-range version: the parts given must match
      return v.slice(0, parts).every((x, i) => x === bound[i]);
  }
}

export function satisfiesNodeRange(version: string, range: string): boolean {
  const v = parse(version);
  if (!v || range.trim() === '' || range.trim() === '*') return true;
  return range.split('||').some((set) => {
    const results = set.replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').trim().split(/\s+/).filter(Boolean).map((c) => satisfiesComparator(v, c.replace(/\s+/g, '')));
    return results.every((r) => r !== false);
  });
}
