/**
 * Fuzzing the lab-spec loader (parseSpec): random text, YAML-token soup and mutations of
 * every labs/*.yaml must give a LabSpec or a BadInputError whose line is within the input —
 * never another exception, never a hang (each parse runs in a worker under a time bound) —
 * and specs HAProxy could not run (weight 999, an unknown algorithm, a port past 65535)
 * must be refused on the line that holds the value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { parseConfig } from '../../src/proxy/config/index.js';
import { renderHaproxyCfg } from '../../src/render/haproxy-cfg.js';
import { parseSpec } from '../../src/lab-schema/load.js';
import { normalizeSpec } from '../../src/lab-schema/normalize.js';
import type { LabSpec } from '../../src/lab-schema/types.js';
import { ALGORITHMS } from '../../src/lab-schema/types.js';
import { lineCount, Sandbox, type Outcome, expectWellBehaved } from './fuzz-sandbox.js';
import { lineMutation, mutateLines, type LineEdits, type LineMutation } from './fuzz-mutations.js';

const LABS = new URL('../../labs/', import.meta.url);
const SEEDS = readdirSync(LABS)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(new URL(f, LABS), 'utf8') }));

/** HAPLAB_FUZZ_SCALE=20 runs every property twenty times longer, for a deeper hunt. */
const SCALE = Number(process.env.HAPLAB_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const MAX_MS = 500;

const YAML_TOKENS = [
  ':', ': ', '- ', '-', '? ', '{', '}', '[', ']', ',', '"', "'", '&a', '*a', '*nope', '<<: *a', '!!binary', '!!str', '!!int',
  '!!set', '!!timestamp', '!custom', '%YAML 1.1', '---', '...', '|', '>', '|-', '#', '\t', '  ', 'null', '~', 'yes', 'no',
  'true', '.inf', '-.inf', '.nan', '0x10', '0o17', '1e309', '-1', '0', '256', '257', '999', '65535', '65536', '99999999999999999999',
  '2.5', 'name', 'app', 'port', 'weight', 'balance', 'servers', 'routes', 'path', 'acls', 'rules', 'criterion', 'frontends',
  'backends', 'apps', 'roundrobin', 'hdr', 'random', 'use_backend', 'http-request deny if', 'é', '日本', '🙂', '\u0000', '\u202e', '\ufeff',
  // values that reach haproxy.cfg verbatim
  '"src 10.0.0.0/33"', '"src 1"', '"path_reg ^/("', '"path_beg -m bogus /a"', '"path_beg -f /etc/x"', '"hdr(Host -i x"', '"method"',
  '"path_beg \'/a"', '"req.hdr(User-Agent) -i -m sub Mobile"', '1e12', '2147483648', '[a, b]', '"10.0.0.0/8"', '"x"', '{ a: 1 }',
];
const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...YAML_TOKENS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

const mutation = lineMutation(token, { plain: ['dedent', 'indent'] as const, withToken: ['value'] as const });
type Mutation = LineMutation<'dedent' | 'indent', 'value'>;

/** YAML edits: a token goes in where the values are, and lines move between indent levels. */
const YAML_EDITS: LineEdits<'dedent' | 'indent', 'value'> = {
  insert: (line, p, token) => line.slice(0, p) + token + line.slice(p),
  replace: (line, _pos, token) => {
    // a scalar after a colon, where the values are
    const colon = line.indexOf(': ');
    return colon < 0 ? line + token : `${line.slice(0, colon + 2)}${token}`;
  },
  newline: (pos, token) => `${' '.repeat(pos % 7)}${token}`,
  own: (line, m) => {
    switch (m.kind) {
      case 'dedent':
        return line.replace(/^ {1,2}/, '');
      case 'indent':
        return `  ${line}`;
      case 'value': {
        // one value of a block or flow mapping, keeping the YAML around it intact
        const values = [...line.matchAll(/: ([^,}\n]+)/g)];
        const v = values[m.pos % Math.max(1, values.length)];
        return v && 'token' in m ? `${line.slice(0, v.index! + 2)}${m.token}${line.slice(v.index! + v[0].length)}` : line;
      }
    }
  },
};

const mutate = (lines: string[], m: Mutation): string[] => mutateLines(lines, m, YAML_EDITS);

const ENTRY = `
import { parseSpec } from './src/lab-schema/load.js';
function parse(text: string): unknown {
  const spec = parseSpec(text, 'lab.yaml');
  return { id: spec.id, weights: spec.backends.flatMap((b) => b.servers.map((s) => s.weight)) };
}
`;

describe('lab spec loader under fuzzing', () => {
  let sandbox: Sandbox;

  beforeAll(() => {
    sandbox = new Sandbox(ENTRY, MAX_MS);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const wellBehaved = (text: string, o: Outcome) => expectWellBehaved(text, o, MAX_MS);

  it('accepts every lab it mutates from', async () => {
    expect(SEEDS.length).toBeGreaterThanOrEqual(8);
    for (const seed of SEEDS) expect(await sandbox.run(seed.text), seed.name).toMatchObject({ kind: 'model' });
  });

  it('takes random text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (text) => wellBehaved(text, await sandbox.run(text))),
      { numRuns: runs(300) },
    );
  });

  it('takes YAML-token soup', async () => {
    const soup = fc
      .array(fc.tuple(fc.nat(6), fc.array(token, { minLength: 1, maxLength: 6 })), { maxLength: 20 })
      .map((lines) => lines.map(([indent, words]) => ' '.repeat(indent) + words.join(' ')).join('\n'));
    await fc.assert(fc.asyncProperty(soup, async (text) => wellBehaved(text, await sandbox.run(text))), { numRuns: runs(500) });
  });

  it('takes mutated labs: lines deleted, duplicated, swapped, re-indented, tokens inserted', async () => {
    const mutated = fc
      .tuple(fc.constantFrom(...SEEDS.map((s) => s.text)), fc.array(mutation, { minLength: 1, maxLength: 5 }))
      .map(([seed, ms]) => ms.reduce(mutate, seed.split('\n')).join('\n'));
    const kinds = { model: 0, bad: 0 };
    await fc.assert(
      fc.asyncProperty(mutated, async (text) => {
        const o = await sandbox.run(text);
        wellBehaved(text, o);
        if (o.kind === 'model') kinds.model++;
        else kinds.bad++;
      }),
      { numRuns: runs(1000) },
    );
    expect(kinds.model).toBeGreaterThan(10);
    expect(kinds.bad).toBeGreaterThan(200);
  });

  it('takes YAML built to exhaust a parser: alias bombs, deep nesting, long scalars', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [k, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const prev = k === 0 ? 'a' : ['b', 'c', 'd', 'e', 'f', 'g', 'h'][k - 1]!;
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const inputs = [
      bomb.join('\n'),
      '['.repeat(20_000),
      `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
      '{a: '.repeat(5_000),
      `${Array.from({ length: 3_000 }, (_, k) => `${' '.repeat(k)}- `).join('\n')}x`,
      `id: ${'x'.repeat(2_000_000)}`,
      `apps:\n${'  - name: a\n    port: 1\n'.repeat(5_000)}`,
      '&a a: *a',
      '*a',
      'id: !!binary AAAA',
      'id: 2001-12-14t21:59:43.10-05:00',
    ];
    for (const text of inputs) {
      const o = await sandbox.run(text, undefined, 2000);
      if (o.kind === 'other' || o.kind === 'hang') throw new Error(`${o.kind} on ${JSON.stringify(text.slice(0, 60))}…: ${'message' in o ? o.message.split('\n')[0] : ''}`);
      if (o.kind === 'bad-input') expect(o.line!).toBeLessThanOrEqual(lineCount(text));
      expect(o.ms).toBeLessThan(2000);
    }
  });

  it('renders every spec it accepts into a haproxy.cfg the proxy accepts', () => {
    // In-process: parseSpec is shown above not to hang; rendering and parseConfig are fuzzed too.
    const mutated = fc
      .tuple(fc.constantFrom(...SEEDS.map((s) => s.text)), fc.array(mutation, { minLength: 1, maxLength: 3 }))
      .map(([seed, ms]) => ms.reduce(mutate, seed.split('\n')).join('\n'));
    let accepted = 0;
    fc.assert(
      fc.property(mutated, (text) => {
        let spec: LabSpec;
        try {
          spec = parseSpec(text, 'lab.yaml');
        } catch (err) {
          if (err instanceof BadInputError) return;
          throw err;
        }
        accepted++;
        parseConfig(renderHaproxyCfg(normalizeSpec(spec)));
      }),
      { numRuns: runs(1000) },
    );
    expect(accepted).toBeGreaterThan(50);
  });

  it('refuses the values the render property caught breaking haproxy.cfg (or the renderer)', () => {
    const ep04 = SEEDS.find((s) => s.name === 'ep04.yaml')!.text;
    const swap = (from: string, to: string) => ({ to, text: ep04.replace(from, to) });
    const cases = [
      swap('criterion: "src 192.168.1.0/24"', 'criterion: "src 192.168.1.0/33"'),
      swap('criterion: "src 192.168.1.0/24"', 'criterion: "src 192.http-request"'),
      swap('criterion: "path_beg /static"', 'criterion: "path_reg ^/(static"'),
      swap('criterion: "path_beg /static"', 'criterion: "path_beg -m bogus /static"'),
      swap('timeouts: { connect: 5000,', 'timeouts: { connect: 2.5,'),
      swap('timeouts: { connect: 5000,', 'timeouts: { connect: .inf,'),
      swap('timeouts: { connect: 5000,', 'timeouts: { connect: 2147483648,'),
      swap('clientSubnet: 192.168.0.0/20', 'clientSubnet: 5'),
      // a string where the renderer iterates a list
      { to: 'notes: one sentence', text: `${ep04.slice(0, ep04.indexOf('\nnotes:'))}\nnotes: one sentence\n` },
    ];
    for (const c of cases) {
      expect(c.text, c.to).not.toBe(ep04);
      const line = c.text.split('\n').findIndex((l) => l.includes(c.to)) + 1;
      let error: unknown;
      try {
        parseSpec(c.text, 'lab.yaml');
      } catch (err) {
        error = err;
      }
      expect(error, c.to).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).where.line, `${c.to}: ${(error as Error).message}`).toBe(line);
    }
  });

  /** ep09 with one line replaced; the result must be refused at that line. */
  const ep09 = SEEDS.find((s) => s.name === 'ep09.yaml')!.text.split('\n');
  const refusedWith = async (find: RegExp, replace: (line: string) => string) => {
    const at = ep09.findIndex((l) => find.test(l));
    expect(at, String(find)).toBeGreaterThanOrEqual(0);
    const lines = [...ep09];
    lines[at] = replace(lines[at]!);
    const o = await sandbox.run(lines.join('\n'));
    expect(o, lines[at]).toMatchObject({ kind: 'bad-input', line: at + 1 });
  };

  it('refuses weights outside 0..256 (and non-integers) on their line', async () => {
    const bad = fc.oneof(
      fc.integer({ min: 257, max: 2 ** 53 }).map(String),
      fc.integer({ min: -(2 ** 53), max: -1 }).map(String),
      fc.constantFrom('999', '1e309', '.inf', '.nan', '2.5', '"2"', 'null', '~', 'true', '[1]', '{w: 1}', '0x1FF'),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (w) => refusedWith(/weight: \d+/, (l) => l.replace(/weight: \d+/, `weight: ${w}`))),
      { numRuns: runs(300) },
    );
  });

  it('refuses an algorithm not in the list on its line', async () => {
    const unknown = fc
      .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_-()0123456789'.split('')), minLength: 1, maxLength: 14 })
      .filter((a) => !(ALGORITHMS as readonly string[]).includes(a));
    await fc.assert(
      fc.asyncProperty(unknown, async (a) => refusedWith(/balance: /, (l) => l.replace(/balance: \S+/, `balance: ${a}`))),
      { numRuns: runs(300) },
    );
  });

  it('refuses ports outside 1..65535 on their line', async () => {
    const port = fc.oneof(fc.integer({ min: 65536, max: 2 ** 40 }), fc.integer({ min: -1000, max: 0 }));
    await fc.assert(
      fc.asyncProperty(port, async (p) => refusedWith(/port: \d+/, (l) => l.replace(/port: \d+/, `port: ${p}`))),
      { numRuns: runs(200) },
    );
  });
});
