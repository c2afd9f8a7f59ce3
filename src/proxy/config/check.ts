/**
 * Checks that need the whole file, run after parsing as HAProxy's check_config_validity
 * does: every backend a proxy's rules name exists, is not the proxy itself and speaks its
 * mode (for backends too, whose switching rules HAProxy ignores but still resolves); plus HAProxy's
 * warnings (no bind, missing timeouts, layer-7 things in tcp proxies).
 */
import { BadInputError } from '../../errors.js';
import { conditionFetches } from '../acl/parse.js';
import type { Condition } from '../acl/types.js';
import type { ProxyConfig, ProxySection, SourceRef } from './model.js';
import { checkPersistence } from './persistence.js';
import { checkServerResolvers } from './resolvers.js';

const LAYER7_FETCHES = new Set(['path', 'url', 'method', 'hdr', 'req.ver']);

function usesLayer7(condition: Condition | undefined): boolean {
  if (!condition) return false;
  for (const name of conditionFetches(condition)) if (LAYER7_FETCHES.has(name)) return true;
  return false;
}

function checkTarget(config: ProxyConfig, frontend: ProxySection, name: string, where: SourceRef, rule: 'use_backend' | 'default_backend'): void {
  const backend = config.backends.get(name);
  if (backend === frontend) {
    throw new BadInputError(`Proxy '${frontend.name}': loop detected for ${rule}: '${name}'`, where, `point ${rule} at another backend`);
  }
  if (!backend) {
    const known = [...config.backends.keys()];
    throw new BadInputError(
      `Proxy '${frontend.name}': unable to find required ${rule}: '${name}'`,
      where,
      known.length ? `declare 'backend ${name}' or use one of: ${known.join(', ')}` : `declare 'backend ${name}'`,
    );
  }
  if (frontend.mode === 'http' && backend.mode === 'tcp') {
    throw new BadInputError(
      `http frontend '${frontend.name}' tries to use incompatible tcp backend '${backend.name}' in a '${rule}' rule (see 'mode')`,
      where,
      `set 'mode http' in backend '${backend.name}', or 'mode tcp' in the frontend`,
    );
  }
  // A backend's own (ignored) rules never run: only frontends reach the upgrade haplab lacks.
  if (frontend.capabilities.frontend && frontend.mode === 'tcp' && backend.mode === 'http') {
    throw new BadInputError(
      `tcp frontend '${frontend.name}' uses http backend '${backend.name}': HAProxy would upgrade the connection to HTTP, which haplab does not support`,
      where,
      'give both the same mode',
    );
  }
}

export function checkConfig(config: ProxyConfig): void {
  const warn = (message: string, where: SourceRef) => config.warnings.push({ message, where });
  checkPersistence(config);
  checkServerResolvers(config);

  // HAProxy resolves these in every proxy, even a backend that ignores them (with a warning).
  for (const proxy of config.proxies) {
    for (const rule of proxy.switchingRules) checkTarget(config, proxy, rule.backend, rule.where, 'use_backend');
    if (proxy.defaultBackend) checkTarget(config, proxy, proxy.defaultBackend.name, proxy.defaultBackend.where, 'default_backend');
  }

  // A track-sc rule needs a table: its section's own, or the one it names.
  for (const proxy of config.proxies) {
    for (const rule of proxy.httpRequestRules) {
      const table = rule.track?.table;
      if (table !== undefined && !config.proxies.some((p) => p.name === table && p.stickTable)) {
        throw new BadInputError(
          `Proxy '${proxy.name}': unable to find table '${table}' referenced by track-sc${rule.track!.counter}`,
          rule.where,
          table === proxy.name ? `add a stick-table line to ${proxy.kind} '${proxy.name}', or name another section's with 'table NAME'` : `declare a stick-table in a section named '${table}'`,
        );
      }
    }
  }

  for (const frontend of config.frontends) {

    if (frontend.binds.length === 0) {
      warn(`${frontend.kind} '${frontend.name}' has no 'bind' directive. Please declare it as a backend if this was intended.`, frontend.where);
    }
    if (frontend.mode === 'tcp') {
      if (frontend.httpRequestRules.length > 0) {
        warn(`'http-request' rules ignored for ${frontend.kind} '${frontend.name}' as they require HTTP mode.`, frontend.httpRequestRules[0]!.where);
      }
      for (const rule of frontend.switchingRules) {
        if (usesLayer7(rule.condition)) {
          warn(`use_backend '${rule.backend}' in tcp ${frontend.kind} '${frontend.name}' tests HTTP contents, which a tcp proxy never sees: those ACLs never match`, rule.where);
        }
      }
    }
  }

  for (const proxy of config.proxies) {
    if (proxy.capabilities.backend && proxy.mode === 'tcp' && ['uri', 'url_param', 'hdr'].includes(proxy.balance.algorithm)) {
      warn(`Layer 7 hash not possible for ${proxy.kind} '${proxy.name}' (needs 'mode http'). Falling back to round robin.`, proxy.where);
      proxy.balance.algorithm = 'roundrobin';
    }
    if (proxy.options.httpCheckExpect && !proxy.options.httpCheck) {
      warn(`${proxy.kind} '${proxy.name}' uses http-check rules without 'option httpchk', so the rules are ignored.`, proxy.options.httpCheckExpect.where);
    }
    const t = proxy.timeouts;
    const missing =
      (proxy.capabilities.frontend && !t.client) ||
      (proxy.capabilities.backend && proxy.servers.length > 0 && (!t.connect || (!t.server && (proxy.mode === 'http' || !t.tunnel))));
    if (missing) {
      warn(`missing timeouts for ${proxy.kind} '${proxy.name}': set 'timeout client', 'timeout connect' and 'timeout server'`, proxy.where);
    }
  }
}
