/**
 * Fuzzing the haproxy.cfg parser: random text, token soup and mutations of real configs
 * (the seed's, every lab's rendered haproxy.cfg, and one using every supported keyword)
 * must only ever give a model or a BadInputError whose line is within the input — never
 * another exception, never a hang (each parse runs in a worker under a time bound). And
 * nonsense HAProxy would refuse (weight 999, an unknown balance, a timer past 2^31 ms…)
 * must be refused too, on the line that holds it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { loadConfigFile, parseConfig } from '../../src/proxy/config/index.js';
import { renderHaproxyCfg } from '../../src/render/haproxy-cfg.js';
import { parseSpec } from '../../src/lab-schema/load.js';
import { normalizeSpec } from '../../src/lab-schema/normalize.js';
import { HAPROXY, HAPROXY_BIN, itWithTool } from '../helpers/require-tool.js';
import { seedConfigs } from '../helpers/seed-configs.js';
import { expectWellBehaved, lineCount, Sandbox, type Outcome } from './fuzz-sandbox.js';
import { lineMutation, mutateLines, type LineEdits, type LineMutation } from './fuzz-mutations.js';

const LABS = new URL('../../labs/', import.meta.url);

function labConfigs(): string[] {
  return readdirSync(LABS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => renderHaproxyCfg(normalizeSpec(parseSpec(readFileSync(new URL(f, LABS), 'utf8'), f))));
}

const EVERYTHING = `global
    log stdout format raw local0
    maxconn 4096
    nbthread 2
    stats socket /run/haproxy.sock

defaults base
    mode http
    log global
    option httplog
    option dontlognull
    option forwardfor except 127.0.0.0/8
    timeout connect 5s
    timeout client 50s
    timeout server 50000
    timeout http-request 10s
    timeout http-keep-alive 2s
    timeout queue 1m
    retries 3
    option redispatch 2
    default-server inter 2s rise 2 fall 3

frontend web from base
    bind *:80
    bind 127.0.0.1:8080,[::1]:8081 name local
    maxconn 1000
    acl is_static path_beg -i /static /assets
    acl is_api path_reg ^/api/v[0-9]+/
    acl ua_mobile req.hdr(User-Agent) -i -m sub Mobile
    acl internal src 10.0.0.0/8 192.168.0.0/255.255.0.0 ::1
    acl post method POST
    http-request deny deny_status 429 if { path_beg /limited } post
    http-request deny if !internal { path_beg /admin } || { url_sub debug=1 }
    http-request allow if internal
    use_backend static if is_static
    use_backend api if is_api ua_mobile or post
    use_backend hashed unless TRUE
    default_backend app
    stats enable
    stats uri /stats

backend static from base
    balance static-rr
    server s1 10.0.0.1:80 weight 3 check
    server s2 10.0.0.2:80 weight 0 backup

backend api
    mode http
    balance hdr(X-User) use_domain_only
    hash-type consistent djb2 avalanche
    option httpchk GET /health HTTP/1.1
    server a1 10.0.1.1:8080 check port 8081 inter 500ms maxconn 10 id 7
    server a2 10.0.1.2 check port 8081 disabled

backend hashed
    mode http
    balance uri depth 2 len 20 whole
    hash-type map-based sdbm
    server h1 10.0.2.1:80
    server h2 10.0.2.2:80 init-addr last,libc,none

backend app
    mode http
    balance random(3)
    no option redispatch
    server r1 10.0.3.1:80
    server r2 10.0.3.2:80

listen tcp_echo
    mode tcp
    bind :9000
    balance leastconn
    timeout client 1m
    timeout connect 1s
    timeout server 1m
    server e1 10.0.4.1:7 weight 256
`;

const KEYWORDS = [
  'global', 'defaults', 'frontend', 'backend', 'listen', 'from', 'mode', 'http', 'tcp', 'bind', '*:80', ':8080',
  'balance', 'roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param', 'hdr(Host)', 'random',
  'random(2)', 'random(', 'hdr(', 'hash-type', 'consistent', 'map-based', 'avalanche', 'server', 'default-server',
  'weight', 'check', 'inter', 'rise', 'fall', 'backup', 'disabled', 'id', 'port', 'maxconn', 'init-addr', 'acl',
  'path_beg', 'path_reg', 'src', 'method', 'req.hdr(User-Agent)', 'hdr(host,-1)', '-i', '-m', '--', 'beg', 'reg',
  'if', 'unless', '{', '}', '!', 'or', '||', 'http-request', 'deny', 'allow', 'deny_status', 'use_backend',
  'default_backend', 'timeout', 'client', 'server', 'connect', 'http-request', 'option', 'no', 'forwardfor',
  'except', 'header', 'if-none', 'redispatch', 'httpchk', 'retries', 'stats', 'enable', 'log', 'nbthread',
  '127.0.0.1:80', '[::1]:80', '10.0.0.0/8', '::', 'srv', 'app', 'static', 'TRUE', 'METH_GET', 'LOCALHOST',
];
const QUOTES = ['"', "'", '\\', '\\x4', '\\x41', '\\"', "\\'", '$', '${', '${X-', '${X}', '$.LINE', '$.NOPE', '#', '\\#', '"a b"', "'$X'"];
const NUMBERS = [
  '0', '1', '-1', '256', '257', '999', '65535', '65536', '2147483647', '2147483648', '4294967296', '99999999999999999999',
  '1e309', '0x10', '010', '+5', '5abc', 'NaN', 'Infinity', '1.5', '10S', '25d', '24d', '1us', '2147483648ms', '-0',
];
const ODD = ['\u0000', '\t', '\r', '\v', '\u00a0', '\u200b', '\u202e', 'é', '日本', '🙂', '\ud800', '\uffff', ' '.repeat(40), 'x'.repeat(300)];

const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEYWORDS) },
  { weight: 2, arbitrary: fc.constantFrom(...QUOTES) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);

const mutation = lineMutation(token);

/** haproxy.cfg edits: a token goes in as a word of its own, a new line as an indented keyword. */
const CFG_EDITS: LineEdits = {
  insert: (line, p, token) => `${line.slice(0, p)} ${token} ${line.slice(p)}`,
  replace: (line, pos, token) => {
    const words = line.split(/(\s+)/);
    words[(pos % Math.max(1, Math.ceil(words.length / 2))) * 2] = token;
    return words.join('');
  },
  newline: (_pos, token) => `    ${token}`,
};

const mutate = (lines: string[], m: LineMutation): string[] => mutateLines(lines, m, CFG_EDITS);

const ENTRY = `
import { parseConfig } from './src/proxy/config/index.js';
function parse(text: string): unknown {
  const c = parseConfig(text, { env: { X: 'x' } });
  return {
    servers: c.proxies.flatMap((p) => p.servers.map((s) => ({ name: s.name, weight: s.weight, line: s.where.line }))),
    balances: c.proxies.filter((p) => p.capabilities.backend).map((p) => p.balance.algorithm),
  };
}
`;

interface Summary {
  servers: Array<{ name: string; weight: number; line: number }>;
  balances: string[];
}

/** HAPLAB_FUZZ_SCALE=20 runs every property twenty times longer, for a deeper hunt. */
const SCALE = Number(process.env.HAPLAB_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));

/** Slowest accepted parse: a config of a few hundred lines takes well under a millisecond. */
const MAX_MS = 250;

describe('haproxy.cfg parser under fuzzing', () => {
  let sandbox: Sandbox;
  const seeds = [...seedConfigs().map((c) => c.text), ...labConfigs(), EVERYTHING];

  beforeAll(() => {
    sandbox = new Sandbox(ENTRY, MAX_MS);
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const wellBehaved = (text: string, o: Outcome) => expectWellBehaved(text, o, MAX_MS);

  it('accepts every seed it mutates from', async () => {
    expect(seeds.length).toBeGreaterThanOrEqual(10);
    for (const text of seeds) {
      const o = await sandbox.run(text);
      if (/^\s*random draw/m.test(text)) expect(o.kind).toBe('bad-input'); // ep08 as written: HAProxy 2.6 refuses it too
      else expect(o, text.slice(0, 200)).toMatchObject({ kind: 'model' });
    }
  });

  it('takes random text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 400 }), async (text) => wellBehaved(text, await sandbox.run(text))),
      { numRuns: runs(300) },
    );
  });

  it('takes lines of keyword, quote, number and unicode soup', async () => {
    const soup = fc
      .array(fc.tuple(fc.boolean(), fc.array(token, { minLength: 1, maxLength: 8 })), { maxLength: 25 })
      .map((lines) => lines.map(([indent, words]) => (indent ? '    ' : '') + words.join(' ')).join('\n'));
    await fc.assert(fc.asyncProperty(soup, async (text) => wellBehaved(text, await sandbox.run(text))), { numRuns: runs(500) });
  });

  it('takes mutated real configs: lines deleted, duplicated, swapped, cut, tokens inserted', async () => {
    const mutated = fc
      .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }))
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
    // the mutations explore both sides: some configs survive, most break somewhere
    expect(kinds.model).toBeGreaterThan(20);
    expect(kinds.bad).toBeGreaterThan(200);
  });

  /** A small valid config with `line` as the 9th line (inside backend b). */
  const withLine = (line: string) =>
    `defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nbackend b\n    server s1 127.0.0.1:1\n    ${line}\n`;
  const refusedAt9 = async (line: string) => {
    const o = await sandbox.run(withLine(line));
    expect(o, line).toMatchObject({ kind: 'bad-input', line: 9 });
  };

  it('refuses weights outside 0..256 and keeps the ones inside', async () => {
    const outside = fc.oneof(fc.integer({ min: 257, max: 2 ** 53 }), fc.integer({ min: -(2 ** 53), max: -1 }));
    await fc.assert(fc.asyncProperty(outside, async (w) => refusedAt9(`server s2 127.0.0.1:2 weight ${w}`)), { numRuns: runs(300) });
    await refusedAt9('server s2 127.0.0.1:2 weight 999');
    await refusedAt9('server s2 127.0.0.1:2 weight 99999999999999999999999');
    await refusedAt9('server s2 127.0.0.1:2 weight 1e3');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 256 }), async (w) => {
        const o = await sandbox.run(withLine(`server s2 127.0.0.1:2 weight ${w}`));
        expect(o.kind).toBe('model');
        expect((o as { summary: Summary }).summary.servers.find((s) => s.name === 's2')?.weight).toBe(w);
      }),
      { numRuns: runs(100) },
    );
  });

  it('refuses a balance algorithm not in the list', async () => {
    const known = new Set(['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'uri', 'url_param']);
    // HAProxy selects random for anything that starts with "random", and hdr(…) takes a name.
    const unknown = fc
      .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_-.()0123456789'.split('')), minLength: 1, maxLength: 14 })
      .filter((w) => !known.has(w) && !w.startsWith('random') && !w.startsWith('hdr('));
    await fc.assert(fc.asyncProperty(unknown, async (w) => refusedAt9(`balance ${w}`)), { numRuns: runs(300) });
    for (const w of ['Roundrobin', 'round-robin', 'hash', 'rdp-cookie(x)', 'hdr()', 'random(0)', 'random(-1)', 'random(2', 'random(2x)', 'url_param']) {
      await refusedAt9(`balance ${w}`);
    }
  });

  it('refuses integers and timers HAProxy cannot hold (past 2^31 − 1)', async () => {
    const huge = fc.oneof(fc.bigInt({ min: 2n ** 31n, max: 2n ** 70n }), fc.constantFrom(2n ** 31n, 2n ** 32n, 2n ** 32n + 1n, 10n ** 20n));
    const lines = (n: bigint) => [
      `retries ${n}`,
      `server s2 127.0.0.1:2 id ${n}`,
      `server s2 127.0.0.1:2 rise ${n}`,
      `server s2 127.0.0.1:2 fall ${n}`,
      `server s2 127.0.0.1:2 maxconn ${n}`,
      `server s2 127.0.0.1:2 inter ${n}`,
      `balance random(${n})`,
      `balance uri depth ${n}`,
      `balance uri len ${n}`,
      `timeout server ${n}`,
      `timeout queue ${n}ms`,
      `option redispatch ${n}`,
    ];
    await fc.assert(
      fc.asyncProperty(huge, async (n) => {
        for (const line of lines(n)) await refusedAt9(line);
      }),
      { numRuns: runs(100) },
    );
    for (const line of ['timeout server 25d', 'timeout server 1.5s', 'timeout server 10S', 'timeout server -1', 'server s2 127.0.0.1:65536', 'server s2 127.0.0.1:0']) {
      await refusedAt9(line);
    }
  });
});

/**
 * What differential runs (mutated configs through `haproxy -c` and parseConfig) found
 * haplab accepting although HAProxy 2.6 refuses it; each case is checked against the real
 * haproxy too when it is installed, so the table cannot drift from what HAProxy does.
 */
describe('configs HAProxy 2.6 refuses, found by differential fuzzing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'haplab-fuzz-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const D = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n'; // lines 1-5
  const B = 'backend b\n    server s1 127.0.0.1:1\n';
  const FE = 'frontend f\n    bind 127.0.0.1:1\n    default_backend b\n'; // lines 6-8 after D
  const CASES: Array<{ note: string; text: string; line: number }> = [
    { note: 'use_backend to a missing backend, in a backend', text: `${D}${B}    use_backend nope\n`, line: 8 },
    { note: 'use_backend with an undeclared ACL, in a backend', text: `${D}${B}backend c\n    server s1 127.0.0.1:1\n    use_backend b if nope\n`, line: 10 },
    { note: 'default_backend to itself, in a backend', text: `${D}${B}    default_backend b\n`, line: 8 },
    { note: 'use_backend to itself, in a listen', text: `${D}listen l\n    bind 127.0.0.1:1\n    use_backend l\n    server s1 127.0.0.1:1\n`, line: 8 },
    { note: 'default_backend to itself, in a frontend', text: `${D}frontend f\n    bind 127.0.0.1:1\n    default_backend f\n`, line: 8 },
    { note: 'a bad bind port, in a backend', text: `${D}${B}    bind :99999\n`, line: 8 },
    { note: 'an unknown balance, in a frontend', text: `${D}${FE}    balance foo\n${B}`, line: 9 },
    { note: 'an unknown hash-type, in a frontend', text: `${D}${FE}    hash-type foo\n${B}`, line: 9 },
    { note: 'two arguments to retries, in a frontend', text: `${D}${FE}    retries 3 4\n${B}`, line: 9 },
    { note: 'default-server in a frontend', text: `${D}${FE}    default-server weight 3\n${B}`, line: 9 },
    { note: 'too many httpchk arguments, in a frontend', text: `${D}${FE}    option httpchk a b c d\n${B}`, line: 9 },
    { note: 'a bad timeout server value, in a frontend', text: `${D}${FE}    timeout server abc\n${B}`, line: 9 },
    { note: 'two arguments to maxconn', text: `${D}${FE}    maxconn 5 6\n${B}`, line: 9 },
    { note: 'an argument after global', text: `global foo\n${D}${B}`, line: 1 },
    { note: 'an argument after daemon', text: `global\n    daemon x\n${D}${B}`, line: 2 },
    { note: 'two arguments to nbthread', text: `global\n    nbthread 2 x\n${D}${B}`, line: 2 },
    { note: 'an unknown log format', text: `global\n    log stdout format bogus local0\n${D}${B}`, line: 2 },
    { note: 'an unknown log facility', text: `${D.replace('mode http', 'log stdout kernel')}${B}`, line: 2 },
    { note: 'an unknown log level', text: `global\n    log stdout local0 bogus\n${D}${B}`, line: 2 },
    { note: 'a word after the log levels', text: `global\n    log stdout local0 info notice x\n${D}${B}`, line: 2 },
    { note: 'a log length under 80', text: `global\n    log stdout len 79 local0\n${D}${B}`, line: 2 },
    { note: 'a log without facility', text: `global\n    log stdout\n${D}${B}`, line: 2 },
    { note: 'log global in the global section', text: `global\n    log global\n${D}${B}`, line: 2 },
    { note: 'a log port past 65535', text: `global\n    log 127.0.0.1:99999 local0\n${D}${B}`, line: 2 },
    { note: 'an init-addr that is no address', text: `${D}backend b\n    server s1 127.0.0.1:1 init-addr 2147483648\n`, line: 7 },
    { note: 'a ( in a server name', text: `${D}backend b\n    server hdr(Host) 127.0.0.1:1\n`, line: 7 },
    { note: 'from a defaults name declared twice', text: `defaults base\n    mode http\ndefaults base\n    mode http\n${B.replace('backend b', 'backend b from base')}`, line: 5 },
  ];
  /** The same neighbourhood, accepted by both. */
  const ACCEPTED: Array<{ note: string; text: string }> = [
    { note: "a defaults' default_backend goes to frontends only", text: `${D}    default_backend b\n${FE}${B}` },
    { note: 'a timeout a frontend ignores', text: `${D}${FE}    timeout server 5s\n${B}` },
    { note: 'log lines of every shape', text: `global\n    log stdout format raw local0\n    log 127.0.0.1:514 len 100 format rfc5424 local7 debug emerg\n    log /dev/log daemon info\n${D}    log global\n${B}` },
    { note: 'init-addr with an address', text: `${D}backend b\n    server s1 127.0.0.1:1 init-addr 10.0.0.1,last,libc\n` },
  ];

  const haproxySays = (note: string, text: string): boolean => {
    const file = join(dir, `${note.replace(/\W+/g, '_')}.cfg`);
    writeFileSync(file, text);
    return spawnSync(HAPROXY_BIN, ['-c', '-f', file]).status !== 1;
  };

  it('refuses each one, on the line HAProxy names', () => {
    for (const c of CASES) {
      let error: unknown;
      try {
        parseConfig(c.text);
      } catch (err) {
        error = err;
      }
      expect(error, c.note).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).where.line, `${c.note}: ${(error as Error).message}`).toBe(c.line);
    }
  });

  it('still accepts their valid neighbours', () => {
    for (const c of ACCEPTED) {
      expect(() => parseConfig(c.text), c.note).not.toThrow();
    }
  });

  it('refuses a file whose last line has no LF, as HAProxy 2.6 does', async () => {
    const file = join(dir, 'no-lf.cfg');
    writeFileSync(file, `${D}${B}    retries 3`);
    await expect(loadConfigFile(file)).rejects.toMatchObject({ where: { line: 8, column: 14 } });
    writeFileSync(file, `${D}${B}    retries 3\n`);
    await expect(loadConfigFile(file)).resolves.toMatchObject({ backends: expect.any(Map) });
  });

  // The same table against the real HAProxy, so it cannot drift from what HAProxy does.
  itWithTool(HAPROXY, 'HAProxy 2.6 refuses each one too', () => {
    for (const c of CASES) expect(haproxySays(c.note, c.text), `haproxy accepts ${c.note}`).toBe(false);
  });

  itWithTool(HAPROXY, 'HAProxy 2.6 accepts their neighbours too', () => {
    for (const c of ACCEPTED) expect(haproxySays(c.note, c.text), `haproxy refuses ${c.note}`).toBe(true);
  });

  itWithTool(HAPROXY, 'HAProxy 2.6 refuses the file without a final LF too', () => {
    expect(haproxySays('no-lf', `${D}${B}    retries 3`)).toBe(false);
  });
});
