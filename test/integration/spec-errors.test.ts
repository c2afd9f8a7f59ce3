/** Bad input exits 2 with one line naming the problem and where it is (flag, or file:line:column). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { parseSpec } from '../../src/lab-schema/load.js';
import { runCli, repoRoot } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-errors-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ep09 = readFileSync(join(repoRoot, 'labs', 'ep09.yaml'), 'utf8');

function expectOneLine(stderr: string, ...parts: (string | RegExp)[]): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  for (const part of parts) expect(lines[0]).toMatch(part);
}

describe('flags', () => {
  const cases: { name: string; args: string[]; expect: (string | RegExp)[] }[] = [
    { name: 'unknown episode', args: ['new', 'ep99', '--yes'], expect: ['unknown episode "ep99"', 'ep09'] },
    { name: 'negative weight', args: ['new', 'ep09', '--weights', '2,-1,3'], expect: ['flag --weights', 'weight #2', 'negative'] },
    { name: 'weight above 256', args: ['new', 'ep09', '--weights', '2,257,3'], expect: ['flag --weights', "above HAProxy's maximum of 256"] },
    { name: 'weight not a number', args: ['new', 'ep09', '--weights', '2,abc,3'], expect: ['flag --weights', 'not a whole number'] },
    { name: 'more weights than servers', args: ['new', 'ep09', '--weights', '1,1,1,1'], expect: ['flag --weights', '4 weights given for 3 servers'] },
    { name: 'unknown algorithm', args: ['new', 'ep09', '--algorithm', 'fastest'], expect: ['flag --algorithm', 'unknown algorithm "fastest"', 'roundrobin'] },
    { name: 'unknown proxy', args: ['new', 'ep09', '--proxy', 'nginx'], expect: ['flag --proxy', 'haproxy, ts or both'] },
    { name: 'server count', args: ['new', 'ep09', '--servers', '0'], expect: ['flag --servers'] },
  ];
  it.each(cases)('$name → exit 2', async ({ args, expect: parts }) => {
    const dir = join(root, `flag-${args.join('-').replace(/[^a-z0-9]+/gi, '_')}`);
    const result = await runCli([...args, '--yes', '--dir', dir]);
    expect(result.code, result.stderr).toBe(2);
    expectOneLine(result.stderr, ...parts);
    expect(() => readFileSync(join(dir, 'lab.yaml'))).toThrow();
  });

  it('weight 0 is legal: the lab is written and the note says what it means', async () => {
    const dir = join(root, 'weight-zero');
    const result = await runCli(['new', 'ep09', '--weights', '2,0,3', '--yes', '--dir', dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/server server2 has weight 0: .*no new traffic/);
    expect(readFileSync(join(dir, 'haproxy', 'haproxy.cfg'), 'utf8')).toContain('server server2 app2:5002 weight 0 check');
  });

  it('refuses a non-empty directory without --force, overwrites a lab with it', async () => {
    const dir = join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const refused = await runCli(['new', 'ep09', '--yes', '--dir', dir]);
    expect(refused.code).toBe(2);
    expectOneLine(refused.stderr, 'is not empty', '--force');
    const forcedOnForeign = await runCli(['new', 'ep09', '--yes', '--force', '--dir', dir]);
    expect(forcedOnForeign.code).toBe(2);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');

    const lab = join(root, 'relab');
    expect((await runCli(['new', 'ep09', '--yes', '--dir', lab])).code).toBe(0);
    expect((await runCli(['new', 'ep05', '--yes', '--dir', lab])).code).toBe(2);
    const forced = await runCli(['new', 'ep05', '--yes', '--force', '--dir', lab]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(join(lab, 'lab.yaml'), 'utf8')).toContain('id: ep05');
  });
});

describe('spec files', () => {
  /** Replaces `from` in the ep09 spec and returns the error, which must be a BadInputError. */
  function specError(from: string | RegExp, to: string): BadInputError {
    const text = ep09.replace(from, to);
    expect(text).not.toBe(ep09);
    try {
      parseSpec(text, 'lab.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(BadInputError);
      return err as BadInputError;
    }
    throw new Error('spec was accepted');
  }
  const lineOf = (needle: string, text: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it.each([
    { name: 'negative weight', from: 'weight: 2,', to: 'weight: -2,', message: 'weight -2 is negative', line: 'server1, app: app1' },
    { name: 'weight above maximum', from: 'weight: 3,', to: 'weight: 300,', message: "above HAProxy's maximum", line: 'server3, app: app3' },
    { name: 'weight not a number', from: 'weight: 1,', to: 'weight: heavy,', message: 'not a whole number', line: 'server2, app: app2' },
    { name: 'duplicate server name', from: 'name: server2', to: 'name: server1', message: 'duplicate server name "server1"', line: 'server1, app: app2' },
    { name: 'duplicate app name', from: 'name: app3', to: 'name: app1', message: 'duplicate app name "app1"', line: 'port: 5003' },
    { name: 'port out of range', from: 'port: 5002', to: 'port: 70000', message: 'port 70000 is out of range', line: 'port: 70000' },
    { name: 'port used twice', from: 'port: 5002', to: 'port: 5001', message: 'duplicate port 5001', line: 'name: app2' },
    { name: 'unknown algorithm', from: 'balance: roundrobin', to: 'balance: fastest', message: 'unknown algorithm "fastest"', line: 'balance: fastest' },
    { name: 'undefined backend', from: 'defaultBackend: servers', to: 'defaultBackend: nowhere', message: 'default backend "nowhere" is not defined', line: 'defaultBackend: nowhere' },
  ])('$name → file:line:column', ({ from, to, message, line }) => {
    const err = specError(from, to);
    const text = ep09.replace(from, to);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(message);
    expect(err.where.file).toBe('lab.yaml');
    // The error points at the offending line (or the entry that holds it).
    const expectedLine = lineOf(line, text);
    expect(Math.abs((err.where.line ?? 0) - expectedLine), `${err.oneLine()} vs line ${expectedLine}`).toBeLessThanOrEqual(1);
    expect(err.where.column).toBeGreaterThan(0);
  });

  it('YAML syntax error → file:line:column', () => {
    const text = ep09.replace('  - name: app2\n', '  - name: app2\n   bad: [unclosed\n');
    const err = (() => { try { parseSpec(text, 'lab.yaml'); } catch (e) { return e as BadInputError; } throw new Error('accepted'); })();
    expect(err.exitCode).toBe(2);
    expect(err.oneLine()).toMatch(/^lab\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('the CLI reports a bad spec file as one line, exit 2', async () => {
    const file = join(root, 'bad.yaml');
    writeFileSync(file, ep09.replace('weight: 3,', 'weight: 300,'));
    const result = await runCli(['new', '--spec', file, '--yes', '--dir', join(root, 'from-bad-spec')]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${lineOf('server3, app: app3', ep09)}:\\d+: weight 300`), /0 to 256/);
  });

  it('every catalogue episode loads', async () => {
    const result = await runCli(['list']);
    expect(result.code).toBe(0);
    for (const id of ['ep02', 'ep03', 'ep04', 'ep05', 'ep06', 'ep07', 'ep08', 'ep09']) expect(result.stdout).toContain(id);
    expect(result.stdout).toMatch(/ep09\s+Weighted round robin\s+roundrobin 2\/1\/3/);
  });
});
