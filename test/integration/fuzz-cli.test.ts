/**
 * Property-based fuzzing of the command line (issue 13): random flag sets for `haplab new`
 * aimed at random --dir targets in a sandbox, and random damage to a lab directory before
 * `verify`, `down` and `up` (the latter only with a flag refused before any runtime starts,
 * so nothing is ever started here). The contract, whatever the input: exit 0 or one line
 * on stderr with exit 2 or 3, never a stack trace; nothing written outside the sandbox (no
 * partial lab left on failure); no process left behind.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';

/** HAPLAB_FUZZ_SCALE=5 runs every property five times longer. */
const SCALE = Number(process.env.HAPLAB_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

const root = mkdtempSync(join(tmpdir(), 'haplab-fuzz-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => relative(dir, join(dir, p))).sort();
}

/** Processes whose command line mentions the fuzz root: none may outlive a run. */
function processesUnder(path: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(path) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function expectContract(result: CliResult, what: string): void {
  expect(result.signal, `${what}: killed by the time bound (a hang)`).toBeNull();
  expect([0, 2, 3], `${what}: ${result.stderr}`).toContain(result.code);
  expect(result.stderr, what).not.toMatch(/internal error|\n\s+at |^\s+at /m);
  if (result.code !== 0) {
    const lines = result.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('haplab: warning: ') && !l.startsWith('  … '));
    expect(lines, `${what}: ${result.stderr}`).toHaveLength(1);
    expect(lines[0], what).toMatch(/^haplab: \S/);
    expect(lines[0]!.length, what).toBeLessThan(600);
  }
}

const junk = fc.oneof(fc.constantFrom('', ' ', '-1', '0', 'abc', '()', '(', '../x', '/etc', '1,,2', '99999999999', '日本', 'a'.repeat(300)), fc.string({ maxLength: 12 }));
const algorithm = fc.oneof(
  fc.constantFrom('roundrobin', 'static-rr', 'leastconn', 'first', 'random', 'random(2)', 'random(0)', 'random(-3)', 'random(abc)', 'source', 'uri', 'hdr(Host)', 'hdr()', 'url_param(id)', 'url_param()', 'roundrobin(2)', ''),
  junk,
);
const weights = fc.oneof(fc.array(fc.integer({ min: -2, max: 300 }), { minLength: 1, maxLength: 6 }).map((w) => w.join(',')), junk);
const servers = fc.oneof(fc.integer({ min: -1, max: 40 }).map(String), junk);
const episode = fc.constantFrom('ep02', 'ep03', 'ep05', 'ep07', 'ep08', 'ep09', 'ep99', '../ep09', '');
const dirTarget = fc.constantFrom('lab', 'a/b/c', 'afile', 'afile/sub', 'full', 'full-lab', '/proc/haplab-fuzz', '/sys/haplab-fuzz', '/dev/null', '/proc/self/x');

describe('haplab new under random flags and --dir targets', () => {
  let seedLab = '';
  beforeAll(async () => {
    seedLab = join(root, 'seed-lab');
    const made = await runCli(['new', 'ep09', '--yes', '--dir', seedLab]);
    expect(made.code, made.stderr).toBe(0);
  });

  it('keeps the contract', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          episode, dir: dirTarget, force: fc.boolean(),
          algorithm: fc.option(algorithm, { nil: undefined }), weights: fc.option(weights, { nil: undefined }),
          servers: fc.option(servers, { nil: undefined }), proxy: fc.option(fc.constantFrom('haproxy', 'ts', 'both', 'nginx', ''), { nil: undefined }),
        }),
        async (flags) => {
          const sandbox = join(root, `new-${n++}`);
          mkdirSync(sandbox);
          writeFileSync(join(sandbox, 'afile'), 'mine');
          mkdirSync(join(sandbox, 'full'));
          writeFileSync(join(sandbox, 'full', 'notes.txt'), 'mine');
          cpSync(seedLab, join(sandbox, 'full-lab'), { recursive: true });
          const args = ['new', flags.episode, '--yes', '--dir', flags.dir];
          if (flags.force) args.push('--force');
          if (flags.algorithm !== undefined) args.push('--algorithm', flags.algorithm);
          if (flags.weights !== undefined) args.push('--weights', flags.weights);
          if (flags.servers !== undefined) args.push('--servers', flags.servers);
          if (flags.proxy !== undefined) args.push('--proxy', flags.proxy);
          const outside = tree(root).filter((p) => !p.startsWith(`new-${n - 1}`));
          const before = tree(sandbox);
          const result = await runCli(args, { cwd: sandbox, timeoutMs: 60_000 }); // a hang guard, not a speed check
          const what = `haplab ${args.map((a) => JSON.stringify(a)).join(' ')}`;
          expectContract(result, what);
          expect(tree(root).filter((p) => !p.startsWith(`new-${n - 1}`)), `${what}: wrote outside its sandbox`).toEqual(outside);
          if (result.code !== 0) expect(tree(sandbox), `${what}: left files behind`).toEqual(before);
          expect(readFileSync(join(sandbox, 'afile'), 'utf8')).toBe('mine');
          expect(processesUnder(root), what).toEqual([]);
          rmSync(sandbox, { recursive: true, force: true });
        },
      ),
      { numRuns: runs(20) },
    );
  }, 600_000);
});

type Damage =
  | { kind: 'delete-spec' | 'empty-spec' | 'spec-is-dir' | 'delete-dir' | 'dir-is-file' | 'state-garbage' }
  | { kind: 'replace-line'; at: number; text: string }
  | { kind: 'truncate'; at: number };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.constantFrom('delete-spec', 'empty-spec', 'spec-is-dir', 'delete-dir', 'dir-is-file', 'state-garbage').map((kind) => ({ kind }) as Damage),
  fc.record({ kind: fc.constant('replace-line' as const), at: fc.nat(), text: fc.constantFrom('id: ../../evil', '    port: 99999', 'chek: true', '  - [', 'title: x', '', 'apps: 3', '\t') }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyDamage(lab: string, d: Damage): void {
  const spec = join(lab, 'lab.yaml');
  switch (d.kind) {
    case 'delete-spec': return rmSync(spec);
    case 'empty-spec': return writeFileSync(spec, '');
    case 'spec-is-dir': rmSync(spec); mkdirSync(spec); return;
    case 'delete-dir': return rmSync(lab, { recursive: true });
    case 'dir-is-file': rmSync(lab, { recursive: true }); writeFileSync(lab, 'not a lab'); return;
    case 'state-garbage': mkdirSync(join(lab, '.haplab'), { recursive: true }); writeFileSync(join(lab, '.haplab', 'state.json'), '{ nope'); return;
    case 'replace-line': {
      const lines = readFileSync(spec, 'utf8').split('\n');
      lines[d.at % lines.length] = d.text;
      return writeFileSync(spec, lines.join('\n'));
    }
    case 'truncate': {
      const text = readFileSync(spec, 'utf8');
      return writeFileSync(spec, text.slice(0, d.at % text.length));
    }
  }
}

describe('verify, down and up on a damaged lab', () => {
  let seedLab = '';
  beforeAll(async () => {
    seedLab = join(root, 'damage-seed');
    const made = await runCli(['new', 'ep05', '--yes', '--dir', seedLab]);
    expect(made.code, made.stderr).toBe(0);
  });

  it('keeps the contract, and starts nothing', async () => {
    let n = 0;
    const command = fc.oneof(
      fc.record({ name: fc.constant('verify'), extra: fc.constantFrom([], ['--requests', '-5'], ['--requests', 'abc'], ['--proxy', 'nginx'], ['--chaos', 'sideways']) }),
      fc.record({ name: fc.constant('down'), extra: fc.constant([] as string[]) }),
      // up only with a flag refused before any runtime is asked: nothing is ever started here.
      fc.record({ name: fc.constant('up'), extra: fc.constantFrom(['--timeout', '-1'], ['--runtime', 'vm'], ['--timeout', 'abc']) }),
    );
    await fc.assert(
      fc.asyncProperty(command, fc.array(damage, { minLength: 1, maxLength: 3 }), async (cmd, damages) => {
        const sandbox = join(root, `damage-${n++}`);
        const lab = join(sandbox, `fz-${n}-${process.pid}`);
        mkdirSync(sandbox);
        cpSync(seedLab, lab, { recursive: true });
        for (const d of damages) {
          try {
            applyDamage(lab, d);
          } catch {
            // a later damage may not apply after an earlier one (the spec already gone)
          }
        }
        const args = [cmd.name, lab, ...cmd.extra];
        const before = tree(sandbox);
        const result = await runCli(args, { cwd: sandbox, timeoutMs: 60_000 });
        const what = `haplab ${args.join(' ')} after ${JSON.stringify(damages)}`;
        expectContract(result, what);
        if (cmd.name !== 'down') expect(result.code, what).not.toBe(0);
        if (cmd.name === 'up') expect(result.code, what).toBe(2);
        expect(tree(sandbox), what).toEqual(before);
        expect(processesUnder(root), what).toEqual([]);
        rmSync(sandbox, { recursive: true, force: true });
      }),
      { numRuns: runs(20) },
    );
  }, 900_000);
});
