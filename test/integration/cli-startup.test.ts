/**
 * What a command loads before it answers. Every haplab command once loaded every runtime's and
 * the verifier's libraries (~1.4 s of CPU before `--version` printed); src/cli/main.ts now
 * loads only the named command, and the heavy libraries load where they are first used
 * (runtime/select.ts, runtime/every.ts, render/tls/lab-ca.ts, cli/prompts.ts). This pins that
 * by what was loaded, not by a time: a preload records every CommonJS module the process
 * required (dockerode, @peculiar/x509 and @inquirer's dependencies are CommonJS or load some).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'haplab-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const preload = join(dir, 'record-modules.cjs');
writeFileSync(preload, `
const { writeFileSync } = require('node:fs');
process.on('exit', () => writeFileSync(process.env.HAPLAB_TEST_MODULES, Object.keys(require.cache).join('\\n')));
`);

/** The packages (under node_modules) the command loaded, with its result. */
async function packagesLoadedBy(args: string[]): Promise<{ code: number | null; stderr: string; packages: Set<string> }> {
  const record = join(dir, `modules-${args.join('-').replace(/[^a-z0-9]+/gi, '_')}.txt`);
  const result = await runCli(args, { cwd: dir, env: { NODE_OPTIONS: `--require ${preload}`, HAPLAB_TEST_MODULES: record } });
  const packages = new Set(readFileSync(record, 'utf8').split('\n').flatMap((path) => {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    return m ? [m[1]!] : [];
  }));
  return { code: result.code, stderr: result.stderr, packages };
}

const HEAVY = ['dockerode', '@peculiar/x509', 'ssh2', 'protobufjs'];

describe('a command loads only what it uses', () => {
  it('a verify refused for a missing lab directory loads no runtime library and no certificate library', async () => {
    const { code, stderr, packages } = await packagesLoadedBy(['verify', 'nowhere']);
    expect(code, stderr).toBe(2);
    expect(HEAVY.filter((p) => packages.has(p))).toEqual([]);
  });

  it('new for a plain HTTP episode makes its lab without dockerode or @peculiar/x509', async () => {
    const { code, stderr, packages } = await packagesLoadedBy(['new', 'ep09', '--yes', '--dir', 'plain']);
    expect(code, stderr).toBe(0);
    expect(HEAVY.filter((p) => packages.has(p))).toEqual([]);
  });

  it('the record sees them when they load: new for the TLS episode loads @peculiar/x509, help loads dockerode', async () => {
    const tls = await packagesLoadedBy(['new', 'ep13', '--yes', '--dir', 'tls']);
    expect(tls.code, tls.stderr).toBe(0);
    expect(tls.packages.has('@peculiar/x509')).toBe(true);
    expect(tls.packages.has('dockerode')).toBe(false);
    const help = await packagesLoadedBy(['--help']);
    expect(help.code).toBe(0);
    expect(help.packages.has('dockerode')).toBe(true);
  });
});
