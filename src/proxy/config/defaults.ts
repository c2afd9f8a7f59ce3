/**
 * Built-in defaults and `defaults` inheritance. A `defaults` section resets everything
 * to HAProxy's documented values and presets the sections that follow it; a proxy
 * starts as a copy of the last `defaults` before it (or of `from NAME`).
 */
import type { BalanceSettings } from '../balance/types.js';
import type { ProxySection, SectionKind, ServerOptions, SourceRef } from './model.js';

/** HAProxy 2.6: DEF_CHKINTR 2000 ms, DEF_RISETIME 2, DEF_FALLTIME 3, weight 1. */
export function builtInServerOptions(): ServerOptions {
  return { weight: 1, check: false, inter: 2000, rise: 2, fall: 3, backup: false, disabled: false };
}

export function builtInBalance(): BalanceSettings {
  return {
    algorithm: 'roundrobin',
    hashType: { method: 'map-based', fn: 'sdbm', avalanche: false },
    draws: 2,
  };
}

export function capabilitiesOf(kind: SectionKind): { frontend: boolean; backend: boolean } {
  switch (kind) {
    case 'frontend':
      return { frontend: true, backend: false };
    case 'backend':
      return { frontend: false, backend: true };
    default:
      return { frontend: true, backend: true };
  }
}

export function freshSection(kind: SectionKind, name: string, where: SourceRef): ProxySection {
  return {
    kind,
    name,
    capabilities: capabilitiesOf(kind),
    // HAProxy's built-in mode is tcp: a config without `mode http` proxies raw TCP.
    mode: 'tcp',
    binds: [],
    acls: new Map(),
    httpRequestRules: [],
    switchingRules: [],
    balance: builtInBalance(),
    servers: [],
    defaultServer: builtInServerOptions(),
    timeouts: {},
    options: {
      httpLog: false,
      tcpLog: false,
      dontLogNull: false,
      httpKeepAlive: true,
      redispatch: false,
      redispatchInterval: -1,
    },
    retries: 3,
    persistence: { stick: { rules: [] } },
    logs: [],
    where,
  };
}

function cloneBalance(b: BalanceSettings): BalanceSettings {
  return { ...b, hashType: { ...b.hashType }, uri: b.uri ? { ...b.uri } : undefined };
}

/** A new section initialised from `defaults` (or HAProxy's built-ins when there is none). */
export function sectionFrom(
  kind: SectionKind,
  name: string,
  where: SourceRef,
  defaults: ProxySection | undefined,
): ProxySection {
  const section = freshSection(kind, name, where);
  if (!defaults) return section;
  section.mode = defaults.mode;
  section.balance = cloneBalance(defaults.balance);
  section.defaultServer = { ...defaults.defaultServer };
  section.timeouts = { ...defaults.timeouts };
  section.options = {
    ...defaults.options,
    forwardFor: defaults.options.forwardFor ? { ...defaults.options.forwardFor } : undefined,
    httpCheck: defaults.options.httpCheck ? { ...defaults.options.httpCheck } : undefined,
    httpCheckExpect: defaults.options.httpCheckExpect ? { ...defaults.options.httpCheckExpect } : undefined,
  };
  section.retries = defaults.retries;
  // `cookie` may sit in defaults; stick tables and rules may not.
  if (defaults.persistence.cookie) section.persistence.cookie = { ...defaults.persistence.cookie };
  section.maxconn = defaults.maxconn;
  section.statsUri = defaults.statsUri;
  section.logs = defaults.logs.map((l) => [...l]);
  // HAProxy hands a defaults section's default_backend to frontends only (a backend would loop).
  if (defaults.defaultBackend && section.capabilities.frontend) section.defaultBackend = { ...defaults.defaultBackend };
  // Named defaults may carry ACLs and http-request rules (HAProxy 2.5+); they run first.
  for (const [aclName, acl] of defaults.acls) section.acls.set(aclName, { name: acl.name, expressions: [...acl.expressions] });
  section.httpRequestRules = [...defaults.httpRequestRules];
  return section;
}
