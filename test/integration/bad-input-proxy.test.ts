/**
 * Issue 13, `haplab proxy`: configs haproxy -c refuses are refused by `proxy -c` and `-f`
 * alike, with one line naming file:line and exit 2 — `-f` on a config with no listener
 * used to exit 13 with no output. Differential: HAProxy 2.6 refuses each one too, except
 * the same bind twice (README: haplab cannot share a port the way SO_REUSEPORT does).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { HAPROXY, HAPROXY_BIN, itWithTool } from '../helpers/require-tool.js';

const dir = mkdtempSync(join(tmpdir(), 'haplab-badinput-proxy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const fe = (...binds: string[]) => `frontend f\n${binds.map((b) => `    bind ${b}\n`).join('')}    default_backend b\n`;
const be = (server = '127.0.0.1:1') => `backend b\n    server s1 ${server}\n`;

interface Case {
  name: string;
  text: string | Buffer;
  line: RegExp;
  /** HAProxy 2.6's `-c` accepts it (a difference the README documents). */
  haproxyAccepts?: boolean;
}
const cases: Case[] = [
  { name: 'empty', text: '', line: /^haplab: \S+: configuration has no error but will not start \(no listener\)/ },
  { name: 'global only', text: 'global\n    maxconn 10\n', line: /no listener/ },
  { name: 'backend only', text: `${head}${be()}`, line: /no listener/ },
  { name: 'bind 999.1.1.1', text: `${head}${fe('999.1.1.1:18080')}${be()}`, line: /^haplab: \S+:7:\d+: invalid address '999\.1\.1\.1' in 'bind': not an IPv4 address/ },
  { name: 'bind nosuchhost.invalid', text: `${head}${fe('nosuchhost.invalid:18080')}${be()}`, line: /^haplab: \S+:7:\d+: invalid address 'nosuchhost\.invalid' in 'bind': the name does not resolve/ },
  { name: 'server that cannot resolve', text: `${head}${fe('127.0.0.1:18080')}${be('nosuchhost.invalid:80')}`, line: /^haplab: \S+:10:\d+: could not resolve address 'nosuchhost\.invalid' of server 'b\/s1'/ },
  { name: 'the same bind twice', text: `${head}${fe('127.0.0.1:18081', '127.0.0.1:18081')}${be()}`, line: /^haplab: \S+:8:\d+: bind 127\.0\.0\.1:18081 overlaps the bind on line 7/, haproxyAccepts: true },
  { name: 'binary garbage', text: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x0a]), line: /^haplab: \S+:1:8: this is not a text configuration file \(it holds a NUL byte\)/ },
];

const pathOf = (name: string) => join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.cfg`);
for (const c of cases) writeFileSync(pathOf(c.name), c.text);

describe('haplab proxy on configs HAProxy will not start', () => {
  it.each(cases.flatMap((c) => [{ ...c, flag: '-c' }, { ...c, flag: '-f only' }]))('$name ($flag)', async ({ name, line, flag }) => {
    const args = flag === '-c' ? ['proxy', '-c', '-f', pathOf(name)] : ['proxy', '-f', pathOf(name)];
    // A hang guard, not a speed check: a refused config exits; one that started would run on.
    const result = await runCli(args, { timeoutMs: 60_000 });
    expect(result.signal, 'still running: it started when it should have refused').toBeNull();
    expect(result.code, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n').filter((l) => !l.startsWith('haplab: warning: '));
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  }, 90_000);

  itWithTool(HAPROXY, 'haproxy -c refuses each one too (except where the README says otherwise)', () => {
    for (const c of cases) {
      let code = 0;
      try {
        execFileSync(HAPROXY_BIN, ['-c', '-f', pathOf(c.name)], { stdio: 'pipe', timeout: 20_000 });
      } catch (err) {
        code = (err as { status: number | null }).status ?? -1;
      }
      if (c.haproxyAccepts) expect(code, c.name).toBe(0);
      else expect(code, c.name).not.toBe(0);
    }
  });
});
