/**
 * DNS resolution for servers with `resolvers NAME` (HAProxy's "5.3 Server IP address
 * resolution using DNS"): at start each such server gets its first address by its
 * `init-addr` methods (server.c srv_iterate_initaddr; default `last,libc,none`), then its
 * section's resolver keeps re-resolving its name and moving it between addresses and
 * MAINT (resolution). Servers written with an IP address are left alone, as HAProxy
 * sends no query for them.
 */
import { lookup } from 'node:dns/promises';
import { EnvironmentError } from '../../errors.js';
import { parseIp } from '../acl/ip.js';
import type { ProxySection, ResolversConfig } from '../config/model.js';
import type { RuntimeBackend, RuntimeServer } from '../runtime.js';
import { Resolver, type Clock } from './resolver.js';
import { ServerRequester } from './server-requester.js';

export interface RunningResolution {
  stop(): void;
}

/** `init-addr` as written, or HAProxy's default for a server that has `resolvers`. */
function initAddrMethods(server: RuntimeServer): string[] {
  return (server.config.initAddr ?? 'last,libc,none').split(',');
}

/** libc: the first address getaddrinfo gives, as HAProxy's str2ip2 takes it. */
async function libcAddress(host: string): Promise<string | undefined> {
  try {
    const [first] = await lookup(host, { all: true, order: 'verbatim' });
    return first?.address;
  } catch {
    return undefined;
  }
}

/** srv_iterate_initaddr: the first method that gives the server an address (or `none`: MAINT) wins. */
export async function applyInitAddr(server: RuntimeServer, resolveLibc: (host: string) => Promise<string | undefined> = libcAddress): Promise<void> {
  for (const method of initAddrMethods(server)) {
    if (method === 'last') continue; // a server-state file: haplab's proxy keeps none
    if (method === 'libc') {
      const address = await resolveLibc(server.config.host);
      if (address === undefined) continue;
      server.setAddress(address);
      return;
    }
    if (method === 'none') {
      server.setResolutionMaint(true);
      return;
    }
    if (parseIp(method)) {
      server.setAddress(method);
      return;
    }
  }
  throw new EnvironmentError(
    `could not resolve address '${server.config.host}' of server '${server.backend.section.name}/${server.name}'`,
    "add 'none' to init-addr to start the server in MAINT until DNS answers, or check the name",
  );
}

/**
 * Gives every resolvable server its first address, links it to its resolver, and starts
 * the resolvers that have servers. Backends are linked in the order HAProxy walks its
 * proxy list (last declared first), servers in declaration order.
 */
export async function startResolution(
  proxies: readonly ProxySection[],
  backends: ReadonlyMap<string, RuntimeBackend>,
  resolversConfig: ReadonlyMap<string, ResolversConfig>,
  clock?: Clock,
): Promise<RunningResolution> {
  const resolvers = new Map<string, Resolver>();
  for (const proxy of [...proxies].reverse()) {
    const backend = proxy.capabilities.backend ? backends.get(proxy.name) : undefined;
    if (!backend) continue;
    for (const server of backend.servers) {
      const name = server.config.resolvers;
      const config = name === undefined ? undefined : resolversConfig.get(name);
      if (!config || !server.config.fqdn) continue;
      await applyInitAddr(server);
      let resolver = resolvers.get(config.name);
      if (!resolver) {
        resolver = new Resolver(config, clock);
        resolvers.set(config.name, resolver);
      }
      const prefer = server.config.resolvePrefer === 'ipv4' ? 4 : 6;
      const requester = new ServerRequester(backend.section.name, server, prefer, config.hold);
      resolver.link(requester, server.config.host, prefer === 4 ? 'A' : 'AAAA');
    }
  }
  const started: Resolver[] = [];
  try {
    for (const resolver of resolvers.values()) {
      await resolver.start();
      started.push(resolver);
    }
  } catch (err) {
    for (const r of started) r.stop();
    throw new EnvironmentError(`cannot open a socket to the nameservers: ${(err as Error).message}`, 'check the nameserver lines of the resolvers sections');
  }
  return { stop: () => resolvers.forEach((r) => r.stop()) };
}
