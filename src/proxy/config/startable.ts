/**
 * What `haproxy -c` refuses beyond the grammar, checked before `haplab proxy -c` calls a
 * file valid and before `-f` starts: something to listen on, bind addresses that are
 * addresses, and server names that resolve (unless `init-addr` allows starting without).
 * Kept out of parseConfig: labs and tests parse configs whose servers are container names.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { BadInputError } from '../../errors.js';
import type { BindAddress, ProxyConfig, SourceRef } from './model.js';
import { tlsCredentials } from '../tls/credentials.js';

/** How long one name may take to resolve before the file is refused (HAProxy would wait too). */
const LOOKUP_MS = 5000;

export type Resolve = (host: string) => Promise<void>;

const systemResolve: Resolve = async (host) => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' })), LOOKUP_MS);
  });
  try {
    await Promise.race([lookup(host), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

const WILDCARDS = new Set(['0.0.0.0', '::']);

export async function checkStartable(config: ProxyConfig, file: string, resolve: Resolve = systemResolve): Promise<void> {
  const binds = config.frontends.flatMap((f) => f.binds);
  if (binds.length === 0) {
    throw new BadInputError(
      'configuration has no error but will not start (no listener): no frontend or listen section has a bind line',
      { file },
      'add e.g. `frontend web` with `bind *:8080` and a default_backend',
    );
  }
  checkOverlaps(binds);
  // `ssl crt FILE`: a file that cannot be read or holds no key stops HAProxy at start.
  for (const bind of binds) if (bind.ssl) tlsCredentials(bind.ssl.crt);
  const problems: Promise<void>[] = [];
  for (const bind of binds) {
    if (WILDCARDS.has(bind.host)) continue;
    problems.push(resolveOr(resolve, bind.host, `invalid address '${bind.host}' in 'bind': ${reasonOf(bind.host)}`, bind.where, 'bind an address of this machine, e.g. 127.0.0.1:8080 or *:8080'));
  }
  for (const proxy of config.proxies) {
    for (const server of proxy.servers) {
      // server.c srv_iterate_initaddr: with `resolvers`, the default ends in `none` too.
      const methods = (server.initAddr ?? (server.resolvers !== undefined ? 'last,libc,none' : 'last,libc')).split(',');
      // `none` or a literal address: HAProxy starts with the server unresolved (or at that address).
      if (methods.includes('none') || methods.some((m) => isIP(m) !== 0)) continue;
      problems.push(resolveOr(resolve, server.host, `could not resolve address '${server.host}' of server '${proxy.name}/${server.name}'`, server.where, "fix the name, or add 'init-addr last,libc,none' to start without it"));
    }
  }
  const results = await Promise.allSettled(problems);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function reasonOf(host: string): string {
  if (/^[0-9.]+$/.test(host) && isIP(host) === 0) return 'not an IPv4 address';
  return 'the name does not resolve';
}

async function resolveOr(resolve: Resolve, host: string, message: string, where: SourceRef, hint: string): Promise<void> {
  if (isIP(host) !== 0) return;
  // A dotted number that is not an IPv4 address is refused without asking DNS about it.
  if (/^[0-9.]+$/.test(host)) throw new BadInputError(message, where, hint);
  try {
    await resolve(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadInputError(code ? `${message} (${code})` : message, where, hint);
  }
}

/**
 * Node's listeners take no SO_REUSEPORT, so two binds on one port (the same address, or a
 * wildcard and any address) would fail with EADDRINUSE on the proxy's own port: refused
 * here with both lines. HAProxy shares the port instead (README: differences from haproxy -c).
 */
function checkOverlaps(binds: BindAddress[]): void {
  const seen = new Map<number, BindAddress[]>();
  for (const bind of binds) {
    const same = seen.get(bind.port) ?? [];
    const clash = same.find((b) => b.host === bind.host || WILDCARDS.has(b.host) || WILDCARDS.has(bind.host));
    if (clash) {
      throw new BadInputError(
        `bind ${bind.host}:${bind.port} overlaps the bind on line ${clash.where.line} (${clash.host}:${clash.port}): haplab's proxy cannot listen twice on one port`,
        bind.where,
        'remove one of the two bind lines, or give them different ports',
      );
    }
    same.push(bind);
    seen.set(bind.port, same);
  }
}
