/**
 * Issue 13, through the built CLI: every bad `haplab new` a user can type ends at once with
 * one line on stderr (no stack trace) naming the flag or file:line:column, exit 2, and
 * leaves nothing behind: no file outside the sandbox, no partial lab directory.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-badinput-cli-'));
/** How long a refused command may take before it counts as hung (a guard, not a timing). */
const HANG_MS = 60_000;
afterAll(() => rmSync(root, { recursive: true, force: true }));
const labs = (id: string) => readFileSync(join(repoRoot, 'labs', `${id}.yaml`), 'utf8');

/** Every path under `dir`, relative, sorted: the sandbox before and after a run must match. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => relative(dir, join(dir, p))).sort();
}

interface Case {
  name: string;
  args: string[];
  /** Files to put in the sandbox first: name → content. */
  files?: Record<string, string>;
  line: RegExp;
}

const spec = (id: string, from: string | RegExp, to: string) => {
  const text = labs(id).replace(from, to);
  if (text === labs(id)) throw new Error(`case does not change ${id}: ${String(from)}`);
  return text;
};

const cases: Case[] = [
  // Security and hangs
  { name: 'files: entry with ..', args: ['new', '--spec', 'x.yaml', '--dir', 'deep/lab'], files: { 'x.yaml': spec('ep03', 'static/app.css:', '../../../escaped.txt:') }, line: /^haplab: x\.yaml:\d+:\d+: file name "\.\.\/\.\.\/\.\.\/escaped\.txt" climbs out with "\.\." — name a path inside/ },
  { name: 'staticDir with ..', args: ['new', '--spec', 'x.yaml', '--dir', 'lab'], files: { 'x.yaml': spec('ep03', 'staticDir: static', 'staticDir: "../../.."') }, line: /^haplab: x\.yaml:\d+:\d+: staticDir "\.\.\/\.\.\/\.\." climbs out/ },
  { name: '--dir /proc/haplab (was an endless mkdir loop)', args: ['new', 'ep09', '--dir', '/proc/haplab'], line: /^haplab: flag --dir: cannot write the lab to \/proc\/haplab: \/proc does not accept new directories/ },
  { name: '10 MB title', args: ['new', '--spec', 'x.yaml', '--dir', 'lab'], files: { 'x.yaml': spec('ep09', /^title:.*$/m, `title: "${'A'.repeat(10_000_000)}"`) }, line: /^haplab: x\.yaml: lab spec is 9\.5 MiB, above the limit of 1 MiB/ },
  { name: '5000-character title', args: ['new', '--spec', 'x.yaml', '--dir', 'lab'], files: { 'x.yaml': spec('ep09', /^title:.*$/m, `title: "${'A'.repeat(5000)}"`) }, line: /^haplab: x\.yaml:3:\d+: 'title' is 5000 characters long, above the limit of 200/ },
  // Labs that cannot run
  { name: 'random(0)', args: ['new', 'ep09', '--algorithm', 'random(0)', '--dir', 'lab'], line: /^haplab: flag --algorithm: "random\(0\)": the number of draws "0" must be a whole number from 1/ },
  { name: 'random(-3)', args: ['new', 'ep09', '--algorithm', 'random(-3)', '--dir', 'lab'], line: /^haplab: flag --algorithm: "random\(-3\)"/ },
  { name: 'random(abc)', args: ['new', 'ep09', '--algorithm', 'random(abc)', '--dir', 'lab'], line: /^haplab: flag --algorithm: "random\(abc\)"/ },
  { name: 'uri on the TCP lab', args: ['new', 'ep02', '--algorithm', 'uri', '--dir', 'lab'], line: /^haplab: flag --algorithm: uri hashes HTTP requests, but ep02 is a TCP lab: HAProxy would warn and balance round robin instead — on a TCP lab use/ },
  { name: 'hdr(Host) on the TCP lab', args: ['new', 'ep02', '--algorithm', 'hdr(Host)', '--dir', 'lab'], line: /^haplab: flag --algorithm: hdr hashes HTTP requests, but ep02 is a TCP lab/ },
  { name: 'two weights for three servers', args: ['new', 'ep09', '--weights', '2,1', '--dir', 'lab'], line: /^haplab: flag --weights: 2 weights given for 3 servers — give one weight per server \(3\)/ },
  { name: 'every weight 0', args: ['new', 'ep09', '--weights', '0,0,0', '--dir', 'lab'], line: /^haplab: flag --weights: every weight is 0: no server would take traffic/ },
  { name: 'empty --algorithm', args: ['new', 'ep09', '--algorithm', '', '--dir', 'lab'], line: /^haplab: flag --algorithm: no algorithm given \(the value is empty\)/ },
  { name: 'episode and --spec together', args: ['new', 'ep05', '--spec', 'x.yaml', '--dir', 'lab'], files: { 'x.yaml': labs('ep09') }, line: /^haplab: flag --spec: both episode "ep05" and --spec x\.yaml given — give either/ },
  { name: 'hdr()', args: ['new', 'ep09', '--algorithm', 'hdr()', '--dir', 'lab'], line: /^haplab: flag --algorithm: "hdr\(\)": hdr\(\) needs a header name — e\.g\. hdr\(User-Agent\)/ },
  { name: 'misspelt server key', args: ['new', '--spec', 'x.yaml', '--dir', 'lab'], files: { 'x.yaml': spec('ep09', 'weight: 2, check: true', 'weight: 2, chek: true') }, line: /^haplab: x\.yaml:\d+:\d+: unknown key "chek" in server #1 of backend servers — did you mean "check"\?/ },
  { name: 'unknown top-level key', args: ['new', '--spec', 'x.yaml', '--dir', 'lab'], files: { 'x.yaml': spec('ep09', /^apps:/m, 'colour: blue\napps:') }, line: /^haplab: x\.yaml:\d+:\d+: unknown key "colour" in the lab spec — the lab spec takes: id, / },
  // Wrong code, wrong words: --dir that cannot hold a lab was an internal error with a stack, exit 3
  { name: '--dir at a file', args: ['new', 'ep09', '--dir', 'afile'], files: { afile: 'mine' }, line: /^haplab: flag --dir: cannot write the lab to \S+\/afile: it is a file or device, not a directory/ },
  { name: '--dir under a file', args: ['new', 'ep09', '--dir', 'afile/sub'], files: { afile: 'mine' }, line: /^haplab: flag --dir: cannot write the lab to \S+\/afile\/sub: \S+\/afile is a file or device, not a directory/ },
  { name: '--dir under /sys', args: ['new', 'ep09', '--dir', '/sys/haplab-lab'], line: /^haplab: flag --dir: cannot write the lab to \/sys\/haplab-lab: \/sys does not accept new directories/ },
  { name: '--dir /dev/null', args: ['new', 'ep09', '--dir', '/dev/null'], line: /^haplab: flag --dir: cannot write the lab to \/dev\/null: it is a file or device, not a directory/ },
  { name: '--dir in an unwritable place', args: ['new', 'ep09', '--dir', '/proc/self/haplab'], line: /^haplab: flag --dir: cannot write the lab to \/proc\/self\/haplab: \/proc\/self is not writable/ },
];

describe('haplab new: bad input is one line, exit 2, nothing left behind', () => {
  it.each(cases)('$name', async ({ args, files, line }) => {
    const sandbox = join(root, args.join(' ').replace(/[^a-z0-9]+/gi, '_').slice(0, 80));
    mkdirSync(sandbox, { recursive: true });
    for (const [name, content] of Object.entries(files ?? {})) writeFileSync(join(sandbox, name), content);
    const before = tree(root);
    // The bound only tells a hang from an answer: it is no speed check (the pure group runs
    // niced beside the labs, where one CLI start has taken 20 s of wall time).
    const result = await runCli([...args, '--yes'], { cwd: sandbox, timeoutMs: HANG_MS });
    expect(result.signal, 'killed by the time bound: it hung').toBeNull();
    expect(result.code, result.stderr).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr.slice(0, 2000)).toHaveLength(1);
    expect(lines[0]).toMatch(line);
    expect(lines[0]).not.toMatch(/internal error|\n\s+at /);
    expect(lines[0]!.length).toBeLessThan(500);
    expect(result.stdout).toBe('');
    expect(tree(root)).toEqual(before);
  }, HANG_MS + 30_000);
});

describe('verify, up and down: the flag or the lab directory is named before any runtime is asked', () => {
  const sandbox = join(root, 'labs');
  const lab = join(sandbox, 'lab');
  const good = () => readFileSync(join(lab, 'lab.yaml'), 'utf8');
  let written = '';

  interface LabCase {
    name: string;
    args: string[];
    /** Damage done to the lab directory (restored from `written` first). */
    damage?: (text: string) => string | undefined;
    line: RegExp;
  }
  const labCases: LabCase[] = [
    { name: 'verify on a path that does not exist', args: ['verify', 'nowhere'], line: /^haplab: no lab directory at \S+\/nowhere: the path does not exist — make one with `haplab new EPISODE --dir nowhere`/ },
    { name: 'verify on a file', args: ['verify', 'afile'], line: /^haplab: \S+\/afile is a file, not a lab directory/ },
    { name: 'verify with lab.yaml deleted', args: ['verify', 'lab'], damage: () => undefined, line: /^haplab: \S+\/lab holds no lab\.yaml: it is not a haplab lab directory/ },
    { name: 'verify with lab.yaml emptied', args: ['verify', 'lab'], damage: () => '', line: /^haplab: \S+\/lab\/lab\.yaml:1:1: the lab spec is empty/ },
    { name: 'verify with lab.yaml broken', args: ['verify', 'lab'], damage: (t) => t.replace(/^apps:/m, 'apps: [\n'), line: /^haplab: \S+\/lab\/lab\.yaml:\d+:\d+: YAML syntax error/ },
    { name: 'verify with port 99999', args: ['verify', 'lab'], damage: (t) => t.replace('port: 5001', 'port: 99999'), line: /^haplab: \S+\/lab\/lab\.yaml:\d+:\d+: port 99999 is out of range/ },
    { name: 'verify with id ../../evil', args: ['verify', 'lab'], damage: (t) => t.replace(/^id: ep09$/m, 'id: ../../evil'), line: /^haplab: \S+\/lab\/lab\.yaml:\d+:\d+: 'id' "\.\.\/\.\.\/evil" is not a valid name/ },
    { name: 'verify --requests -5', args: ['verify', 'lab', '--requests', '-5'], line: /^haplab: flag --requests: request count "-5" is not a whole number/ },
    { name: 'verify --requests abc', args: ['verify', 'lab', '--requests', 'abc'], line: /^haplab: flag --requests: request count "abc"/ },
    { name: 'verify --proxy nginx', args: ['verify', 'lab', '--proxy', 'nginx'], line: /^haplab: flag --proxy: unknown proxy "nginx" — use haproxy, ts or both/ },
    { name: 'check with port 99999 (refused before anything starts)', args: ['check', 'lab'], damage: (t) => t.replace('port: 5001', 'port: 99999'), line: /^haplab: \S+\/lab\/lab\.yaml:\d+:\d+: port 99999 is out of range/ },
    { name: 'check --requests abc', args: ['check', 'lab', '--requests', 'abc'], line: /^haplab: flag --requests: request count "abc"/ },
    { name: 'up with lab.yaml deleted', args: ['up', 'lab'], damage: () => undefined, line: /^haplab: \S+\/lab holds no lab\.yaml/ },
    { name: 'up on a path that does not exist', args: ['up', 'nowhere'], line: /^haplab: no lab directory at \S+\/nowhere/ },
    { name: 'down on a path that does not exist', args: ['down', 'nowhere'], line: /^haplab: no lab directory at \S+\/nowhere: the path does not exist/ },
    { name: 'down on a file', args: ['down', 'afile'], line: /^haplab: \S+\/afile is a file, not a lab directory/ },
  ];

  it.each(labCases)('$name', async ({ args, damage, line }) => {
    if (!written) {
      mkdirSync(sandbox, { recursive: true });
      writeFileSync(join(sandbox, 'afile'), 'mine');
      const made = await runCli(['new', 'ep09', '--yes', '--dir', lab]);
      expect(made.code, made.stderr).toBe(0);
      written = good();
    }
    rmSync(join(lab, 'lab.yaml'), { force: true });
    const text = damage ? damage(written) : written;
    if (text !== undefined) {
      expect(damage === undefined || text !== written || text === '').toBe(true);
      writeFileSync(join(lab, 'lab.yaml'), text);
    }
    const result = await runCli(args, { cwd: sandbox, timeoutMs: HANG_MS });
    expect(result.signal, 'killed by the time bound: it hung').toBeNull();
    expect(result.code, result.stderr).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  }, HANG_MS + 30_000);
});

describe('up on a TLS lab without its certificate (deleted, or a clone: .gitignore keeps it out of git)', () => {
  it('exit 2 with the bind line of haproxy.cfg that names it and how to make it again; nothing started', async () => {
    const sandbox = join(root, 'tls');
    const lab = join(sandbox, 'ep13');
    mkdirSync(sandbox, { recursive: true });
    const made = await runCli(['new', 'ep13', '--yes', '--dir', lab], { timeoutMs: HANG_MS });
    expect(made.code, made.stderr).toBe(0);
    rmSync(join(lab, 'haproxy', 'site.pem'));
    const state = join(sandbox, 'state');
    try {
      const result = await runCli(['up', lab, '--runtime', 'local'], { cwd: sandbox, timeoutMs: HANG_MS, env: { XDG_STATE_HOME: state } });
      expect(result.signal, 'killed by the time bound: it hung').toBeNull();
      expect(result.code, result.stderr).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^haplab: \S+\/ep13\/haproxy\/haproxy\.cfg:\d+:\d+: 'crt \/etc\/haplab\/tls\/site\.pem' is the lab's haproxy\/site\.pem, which is missing .* haplab new ep13 --dir \S+ --force/);
      // Refused before anything ran: no lab is up, no run was recorded.
      const status = await runCli(['status', '--json'], { env: { XDG_STATE_HOME: state }, timeoutMs: HANG_MS });
      expect(status.stdout).not.toContain('ep13');
    } finally {
      await runCli(['down', lab], { env: { XDG_STATE_HOME: state }, timeoutMs: HANG_MS });
    }
  }, 3 * HANG_MS);
});
