/**
 * Issue 13, the pure cases: a lab spec or a `new` flag that would write outside the lab,
 * blow up the terminal, or give a lab that cannot run is refused with one line naming the
 * file:line:column (or the flag), what is wrong and how to fix it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BadInputError } from '../../src/errors.js';
import { prepareLabDir, writeInside } from '../../src/render/lab-dir.js';
import { writeLab } from '../../src/render/lab.js';
import { renderHaproxyCfg } from '../../src/render/haproxy-cfg.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { checkWeightCount, customizeSpec, parseAlgorithm } from '../../src/lab-schema/customize.js';
import { labPathProblem } from '../../src/lab-schema/lab-paths.js';
import { parseSpec } from '../../src/lab-schema/load.js';
import { editDistance, nearest, SPEC_KEYS } from '../../src/lab-schema/strict-keys.js';
import { repoRoot } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-badinput-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ep03 = readFileSync(join(repoRoot, 'labs', 'ep03.yaml'), 'utf8');
const ep09 = readFileSync(join(repoRoot, 'labs', 'ep09.yaml'), 'utf8');

function refusal(run: () => unknown): BadInputError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(BadInputError);
    return err as BadInputError;
  }
  throw new Error('accepted');
}
const lineOf = (needle: string, text: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('spec files: refused at the line that holds the value', () => {
  it.each([
    { name: 'files: entry climbing out with ..', seed: ep03, from: 'static/app.css:', to: '../../../escaped.txt:', parts: ['file name "../../../escaped.txt"', 'climbs out', "inside the app's own directory"] },
    { name: 'files: entry climbing out midway', seed: ep03, from: 'static/app.css:', to: 'static/../../x.css:', parts: ['climbs out'] },
    { name: 'files: absolute entry', seed: ep03, from: 'static/app.css:', to: '/etc/cron.d/x:', parts: ['"/etc/cron.d/x" is absolute'] },
    { name: 'files: entry replacing app.py', seed: ep03, from: 'static/app.css:', to: 'app.py:', parts: ['would replace the generated one'] },
    { name: 'staticDir climbing out', seed: ep03, from: 'staticDir: static', to: 'staticDir: "../../.."', parts: ['staticDir "../../.."', 'climbs out'] },
    { name: 'staticDir absolute', seed: ep03, from: 'staticDir: static', to: 'staticDir: /etc', parts: ['staticDir "/etc" is absolute'] },
    { name: 'misspelt server key', seed: ep09, from: 'weight: 2, check: true', to: 'weight: 2, chek: true', parts: ['unknown key "chek" in server #1 of backend servers', 'did you mean "check"'] },
    { name: 'misspelt top-level key', seed: ep09, from: /^apps:/m, to: 'aps: []\napps:', parts: ['unknown key "aps" in the lab spec', 'did you mean "apps"'] },
    { name: 'unknown top-level key', seed: ep09, from: /^proves:/m, to: 'colour: blue\nproves:', parts: ['unknown key "colour" in the lab spec', 'takes: id, title'] },
    { name: 'misspelt frontend key', seed: ep09, from: 'defaultBackend:', to: 'defaultBackend: servers\n    hostport: 1\n    x_:', parts: ['unknown key "hostport" in frontend #1', 'did you mean "hostPort"'] },
    { name: 'check not a boolean', seed: ep09, from: 'weight: 2, check: true', to: 'weight: 2, check: sometimes', parts: ["'check' must be true or false"] },
    { name: 'huge title', seed: ep09, from: /^title:.*$/m, to: `title: "${'A'.repeat(100_000)}"`, parts: ["'title' is 100000 characters long, above the limit of 200"] },
    { name: 'huge note', seed: ep09, from: /^apps:/m, to: `notes:\n  - "${'n'.repeat(5000)}"\napps:`, parts: ['note #1 is 5000 characters long'] },
    { name: 'every weight 0', seed: ep09, from: /weight: [123]/g, to: 'weight: 0', parts: ['every server of backend servers has weight 0', 'at least one'] },
    { name: 'random(0) in a spec', seed: ep09, from: 'balance: roundrobin', to: 'balance: random\n    balanceArg: "0"', parts: ['random draws "0" must be a positive whole number'] },
    { name: 'placement not a list', seed: ep09, from: '    port: 5002', to: '    port: 5002\n    placement: node.role==worker', parts: ['placement must be a list of swarm placement constraints', 'placement: ["node.role==worker"]'] },
    { name: 'placement not a constraint', seed: ep09, from: '    port: 5002', to: '    port: 5002\n    placement: ["node.role=worker"]', parts: ["'node.role=worker' is not a swarm placement constraint", 'then == or !='] },
    { name: 'placement on an unknown attribute', seed: ep09, from: '    port: 5002', to: '    port: 5002\n    placement: ["node.zone==a"]', parts: ["'node.zone==a' is not a swarm placement constraint"] },
  ])('$name', ({ seed, from, to, parts }) => {
    const text = seed.replace(from, to);
    expect(text).not.toBe(seed);
    const err = refusal(() => parseSpec(text, 'lab.yaml'));
    expect(err.exitCode).toBe(2);
    for (const part of parts) expect(err.oneLine()).toContain(part);
    expect(err.oneLine()).toMatch(/^lab\.yaml:\d+:\d+: /);
    expect(err.oneLine().length).toBeLessThan(400);
  });

  it('points at the line of the misspelt key', () => {
    const text = ep09.replace('weight: 3, check: true', 'weight: 3, chek: true');
    const err = refusal(() => parseSpec(text, 'lab.yaml'));
    expect(err.where.line).toBe(lineOf('chek: true', text));
  });

  it('an L7 hash on a TCP backend is refused (HAProxy would fall back to roundrobin)', async () => {
    const ep02 = readFileSync(join(repoRoot, 'labs', 'ep02.yaml'), 'utf8');
    const text = ep02.replace(/balance: \w+/, 'balance: uri');
    expect(text).not.toBe(ep02);
    const err = refusal(() => parseSpec(text, 'lab.yaml'));
    expect(err.oneLine()).toMatch(/balance uri needs HTTP, but backend \S+ serves tcp frontend/);
    expect(err.where.line).toBe(lineOf('balance: uri', text));
  });

  it('the lab.yaml `haplab new` writes passes the strict schema again (verify and up read it back)', async () => {
    for (const id of ['ep02', 'ep04', 'ep08', 'ep09']) {
      const spec = customizeSpec(await loadEpisode(id), id === 'ep09' ? { servers: 5, weights: [1, 2, 3, 4, 5], algorithm: 'random(3)', proxy: 'both' } : { proxy: 'both' });
      expect(() => parseSpec(stringify(spec), `${id}/lab.yaml`)).not.toThrow();
    }
  });

  it('every catalogue spec still passes the strict schema', () => {
    for (const f of readdirSync(join(repoRoot, 'labs')).filter((x) => x.endsWith('.yaml'))) {
      expect(() => parseSpec(readFileSync(join(repoRoot, 'labs', f), 'utf8'), f)).not.toThrow();
    }
  });
});

describe('strict keys and lab paths', () => {
  it('edit distance and the nearest key', () => {
    expect(editDistance('chek', 'check')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(nearest('chek', SPEC_KEYS.server)).toBe('check');
    expect(nearest('defaultbackend', SPEC_KEYS.frontend)).toBe('defaultBackend');
    expect(nearest('colour', SPEC_KEYS.spec)).toBeUndefined();
  });

  it.each([
    ['static/a.css', undefined], ['./static/a.css', undefined], ['a..b/c', undefined],
    ['../x', 'climbs out'], ['a/../../x', 'climbs out'], ['/etc/passwd', 'is absolute'], ['a\\..\\x', 'backslash'], ['', 'is empty'], ['.', 'app directory itself'],
  ])('%j → %s', (rel, problem) => {
    if (problem === undefined) expect(labPathProblem(rel)).toBeUndefined();
    else expect(labPathProblem(rel)).toContain(problem);
  });
});

describe('--algorithm and --weights', () => {
  it.each([
    ['', 'no algorithm given'],
    ['   ', 'no algorithm given'],
    ['random(0)', 'number of draws "0" must be a whole number from 1'],
    ['random(-3)', 'number of draws "-3"'],
    ['random(abc)', 'number of draws "abc"'],
    ['random()', 'number of draws ""'],
    ['hdr()', 'hdr() needs a header name'],
    ['hdr(Ho st)', '"Ho st" is not a header name'],
    ['url_param()', 'url_param() needs a parameter name'],
    ['roundrobin(2)', 'roundrobin takes no argument'],
    ['fastest', 'unknown algorithm "fastest"'],
    ['random(2', 'is not an algorithm'],
  ])('%j → %s', (value, message) => {
    const err = refusal(() => parseAlgorithm(value));
    expect(err.where.flag).toBe('--algorithm');
    expect(err.message).toContain(message);
  });

  it('swarm placement constraints are kept as written', () => {
    const text = ep09.replace('    port: 5002', '    port: 5002\n    placement: ["node.role==worker", "node.labels.zone != b", "node.hostname==n-2.lab"]');
    expect(parseSpec(text, 'lab.yaml').apps[1]!.placement).toEqual(['node.role==worker', 'node.labels.zone != b', 'node.hostname==n-2.lab']);
  });

  it.each([['random(2)', { balance: 'random', arg: '2' }], ['hdr(User-Agent)', { balance: 'hdr', arg: 'User-Agent' }], ['source', { balance: 'source' }]])('%j is accepted', (value, parsed) => {
    expect(parseAlgorithm(value)).toEqual(parsed);
  });

  it('weights: one per server, not all zero', () => {
    expect(refusal(() => checkWeightCount([2, 1], 3)).oneLine()).toContain('flag --weights: 2 weights given for 3 servers');
    expect(refusal(() => checkWeightCount([1, 1, 1, 1], 3)).message).toContain('4 weights given for 3 servers');
    expect(refusal(() => checkWeightCount([0, 0, 0], 3)).message).toContain('every weight is 0');
    expect(() => checkWeightCount([2, 0, 3], 3)).not.toThrow();
  });

  it('uri and hdr(Host) on the TCP lab are refused, roundrobin and source are not', async () => {
    const ep02 = await loadEpisode('ep02');
    for (const algorithm of ['uri', 'hdr(Host)', 'url_param(id)']) {
      expect(refusal(() => customizeSpec(ep02, { algorithm })).oneLine()).toMatch(/flag --algorithm: \w+ hashes HTTP requests, but ep02 is a TCP lab/);
    }
    for (const algorithm of ['roundrobin', 'source', 'random(2)']) expect(() => customizeSpec(ep02, { algorithm })).not.toThrow();
  });

  it('the comment beside random draws says what the draws do', async () => {
    const spec = customizeSpec(await loadEpisode('ep09'), { algorithm: 'random(3)' });
    const cfg = renderHaproxyCfg(spec);
    const comment = cfg.split('\n').find((l) => l.includes('random(3):'));
    expect(comment).toMatch(/draw 3 servers at random and send to the least loaded/);
    expect(cfg).not.toContain('The episode writes');
  });
});

describe('the writer keeps every file inside the lab', () => {
  it('refuses a files: entry with .. even when validation was bypassed, and removes the directory it made', async () => {
    const spec = await loadEpisode('ep03');
    spec.apps[0]!.files = { '../../../escaped.txt': 'x' };
    const dir = join(root, 'bypass', 'lab');
    const err = await writeLab(spec, dir).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as BadInputError).message).toMatch(/refusing to write .*escaped\.txt.*outside the lab directory/);
    expect(existsSync(join(root, 'bypass', 'escaped.txt'))).toBe(false);
    expect(existsSync(join(root, 'bypass'))).toBe(false);
  });

  it('refuses a directory symlinked out of the lab, and a symlink in a file’s place', async () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    const lab = await prepareLabDir(join(root, 'links'), false);
    symlinkSync(outside, join(lab.dir, 'apps'));
    await expect(writeInside(lab, 'apps/app1/app.py', 'x')).rejects.toThrow(/outside the lab directory/);
    writeFileSync(join(outside, 'target'), 'mine');
    symlinkSync(join(outside, 'target'), join(lab.dir, 'README.md'));
    await expect(writeInside(lab, 'README.md', 'x')).rejects.toThrow(/outside the lab directory/);
    expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('mine');
    expect(readdirSync(outside)).toEqual(['target']);
    await expect(writeInside(lab, '/etc/haplab-x', 'x')).rejects.toThrow(/outside the lab directory/);
  });
});
