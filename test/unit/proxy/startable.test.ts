/** checkStartable: what haproxy -c refuses beyond the grammar (no listener, bad bind address, unresolvable server). */
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../../src/errors.js';
import { checkStartable, parseConfig } from '../../../src/proxy/config/index.js';

const head = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
const config = (body: string) => parseConfig(`${head}${body}`, { file: 'h.cfg' });
const fe = (binds: string[]) => `frontend f\n${binds.map((b) => `    bind ${b}\n`).join('')}    default_backend b\n`;
/** A resolver that knows only `known.test`, and records what it was asked. */
function resolver() {
  const asked: string[] = [];
  return {
    asked,
    resolve: async (host: string) => {
      asked.push(host);
      if (host !== 'known.test') throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    },
  };
}

async function refusal(body: string): Promise<BadInputError> {
  const err = await checkStartable(config(body), 'h.cfg', resolver().resolve).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(BadInputError);
  return err as BadInputError;
}

describe('checkStartable', () => {
  it.each([
    { name: 'nothing but defaults', body: '', line: /^h\.cfg: configuration has no error but will not start \(no listener\)/ },
    { name: 'a backend only', body: 'backend b\n    server s 127.0.0.1:1\n', line: /no listener/ },
    { name: 'a dotted number that is not IPv4', body: `${fe(['999.1.1.1:8080'])}backend b\n    server s 127.0.0.1:1\n`, line: /^h\.cfg:7:\d+: invalid address '999\.1\.1\.1' in 'bind': not an IPv4 address/ },
    { name: 'a bind name that does not resolve', body: `${fe(['nosuch.test:8080'])}backend b\n    server s 127.0.0.1:1\n`, line: /^h\.cfg:7:\d+: invalid address 'nosuch\.test' in 'bind': the name does not resolve \(ENOTFOUND\)/ },
    { name: 'a server name that does not resolve', body: `${fe(['127.0.0.1:8080'])}backend b\n    server s nosuch.test:80\n`, line: /^h\.cfg:10:\d+: could not resolve address 'nosuch\.test' of server 'b\/s' \(ENOTFOUND\) — fix the name, or add 'init-addr last,libc,none'/ },
    { name: 'the same bind twice', body: `${fe(['127.0.0.1:8080', '127.0.0.1:8080'])}backend b\n    server s 127.0.0.1:1\n`, line: /^h\.cfg:8:\d+: bind 127\.0\.0\.1:8080 overlaps the bind on line 7/ },
    { name: 'a wildcard and an address on one port', body: `${fe(['*:8080', '127.0.0.1:8080'])}backend b\n    server s 127.0.0.1:1\n`, line: /^h\.cfg:8:\d+: bind 127\.0\.0\.1:8080 overlaps the bind on line 7 \(0\.0\.0\.0:8080\)/ },
  ])('refuses $name', async ({ body, line }) => {
    expect((await refusal(body)).oneLine()).toMatch(line);
  });

  it('accepts names that resolve, literals, and unresolvable servers that init-addr none lets start', async () => {
    const r = resolver();
    const body = `${fe(['known.test:8080', '127.0.0.1:8081', '[::1]:8082'])}backend b\n    server s1 known.test:80\n    server s2 10.0.0.1:80\n    server s3 nosuch.test:80 init-addr last,libc,none\n    server s4 nosuch.test:80 init-addr 10.0.0.9\n`;
    await expect(checkStartable(config(body), 'h.cfg', r.resolve)).resolves.toBeUndefined();
    expect(r.asked.sort()).toEqual(['known.test', 'known.test']);
  });

  it('follows default-server init-addr, as the generated labs use it', async () => {
    const body = `${fe(['*:80'])}backend b\n    default-server init-addr last,libc,none\n    server s1 app1:5001\n`;
    await expect(checkStartable(config(body), 'h.cfg', resolver().resolve)).resolves.toBeUndefined();
  });
});
