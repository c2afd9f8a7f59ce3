/**
 * Where the haproxy.cfg a proxy runs differs from the one lab.yaml renders. The verifier
 * judges every check against lab.yaml (its oracles render their own config from the spec),
 * so a learner who edited the file needs to be told, next to the verdict, what the file
 * now says that lab.yaml does not. Pure: two parsed configs in, one line per section out.
 *
 * Compared, because they decide where a request goes: per backend, mode, balance (with its
 * argument) and hash-type, servers removed or added, their order, weight, backup,
 * disabled and check (with its inter/fall/rise and the backend's httpchk), and session persistence (the cookie line, each server's cookie,
 * the stick table and `stick on`, option redispatch); per frontend, mode, default_backend, and the acl / use_backend /
 * http-request / stick-table lines removed or added (compared as written, comments and spacing aside) or reordered.
 * Not compared: addresses and ports (a runtime moves them), timeouts, logging.
 */
import { tokenizeLine, type ProxyConfig, type ProxySection, type ServerConfig } from '../proxy/config/index.js';
import type { BalanceSettings } from '../proxy/balance/types.js';

export interface ParsedConfig {
  config: ProxyConfig;
  /** The file's text: rule lines are compared as written. */
  text: string;
}

/** One entry per section that differs: "backend servers: balance static-rr (lab.yaml: roundrobin), server3 removed". */
export function configDrift(running: ParsedConfig, rendered: ParsedConfig): string[] {
  const out: string[] = [];
  const section = (kind: string, name: string, differences: string[]) => {
    if (differences.length > 0) out.push(`${kind} ${name}: ${differences.join(', ')}`);
  };
  const runFrontends = new Map(running.config.frontends.map((f) => [f.name, f]));
  const labFrontends = new Map(rendered.config.frontends.map((f) => [f.name, f]));
  for (const [name, lab] of labFrontends) {
    const run = runFrontends.get(name);
    section(kindOf(lab, 'frontend'), name, run ? frontendDrift(run, running.text, lab, rendered.text) : ['removed']);
  }
  for (const [name, run] of runFrontends) if (!labFrontends.has(name)) section(kindOf(run, 'frontend'), name, ['added']);
  for (const [name, lab] of rendered.config.backends) {
    const run = running.config.backends.get(name);
    section(kindOf(lab, 'backend'), name, run ? backendDrift(run, lab) : ['removed']);
  }
  for (const [name, run] of running.config.backends) if (!rendered.config.backends.has(name)) section(kindOf(run, 'backend'), name, ['added']);
  return [...new Set(out)];
}

/** The drift as one note: "haproxy.cfg differs from lab.yaml: backend servers: …; frontend …". */
export function driftNote(file: string, drift: readonly string[]): string {
  return `${file} differs from lab.yaml (the checks judge lab.yaml): ${drift.join('; ')}`;
}

/** A listen section is both: it is named once, as `listen`. */
function kindOf(section: ProxySection, as: 'frontend' | 'backend'): string {
  return section.kind === 'listen' ? 'listen' : as;
}

const changed = (what: string, run: string, lab: string): string[] => (run === lab ? [] : [`${what}${run} (lab.yaml: ${lab})`]);

function frontendDrift(run: ProxySection, runText: string, lab: ProxySection, labText: string): string[] {
  const out = [
    ...changed('mode ', run.mode, lab.mode),
    ...changed('default_backend ', run.defaultBackend?.name ?? 'none', lab.defaultBackend?.name ?? 'none'),
    // ep13: whether the binds terminate TLS (where the certificate lives differs by runtime, so only ssl or not).
    ...changed('', run.binds.some((b) => b.ssl) ? 'bind with ssl' : 'bind without ssl', lab.binds.some((b) => b.ssl) ? 'bind with ssl' : 'bind without ssl'),
  ];
  const runRules = ruleLines(run, runText);
  const labRules = ruleLines(lab, labText);
  const removed = without(labRules, runRules);
  const added = without(runRules, labRules);
  out.push(...removed.map((l) => `\`${l}\` removed`), ...added.map((l) => `\`${l}\` added`));
  // First match wins within use_backend rules, and within http-request rules (which all run first).
  for (const kind of ['http-request', 'use_backend']) {
    const order = (lines: string[]) => lines.filter((l) => l.startsWith(`${kind} `)).join('\n');
    if (removed.length === 0 && added.length === 0 && order(runRules) !== order(labRules)) out.push(`${kind} rules in another order`);
  }
  return out;
}

/** The acl, use_backend, http-request and stick-table lines of a section, each as its words joined by one space. */
function ruleLines(section: ProxySection, text: string): string[] {
  const lines = text.split('\n');
  const where = [
    ...[...section.acls.values()].flatMap((a) => a.expressions.map((e) => e.where)),
    ...section.httpRequestRules.map((r) => r.where),
    ...section.switchingRules.map((r) => r.where),
    ...(section.stickTable?.where ? [section.stickTable.where] : []),
  ];
  const numbers = [...new Set(where.map((w) => w.line))].sort((a, b) => a - b);
  return numbers.map((n) => tokenizeLine(lines[n - 1] ?? '', { file: '', line: n }, {}).map((w) => w.text).join(' '));
}

/** `a` minus `b`, as multisets, in a's order. */
function without(a: readonly string[], b: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  return a.filter((x) => {
    const n = left.get(x) ?? 0;
    if (n === 0) return true;
    left.set(x, n - 1);
    return false;
  });
}

function backendDrift(run: ProxySection, lab: ProxySection): string[] {
  const out = [
    ...changed('mode ', run.mode, lab.mode),
    ...changed('balance ', balanceText(run.balance), balanceText(lab.balance)),
    ...changed('hash-type ', hashTypeText(run.balance), hashTypeText(lab.balance)),
  ];
  const runServers = new Map(run.servers.map((s) => [s.name, s]));
  const labServers = new Map(lab.servers.map((s) => [s.name, s]));
  for (const name of labServers.keys()) if (!runServers.has(name)) out.push(`${name} removed`);
  for (const s of run.servers) if (!labServers.has(s.name)) out.push(`${s.name} added${serverTraits(s)}`);
  for (const s of run.servers) {
    const l = labServers.get(s.name);
    if (!l) continue;
    out.push(...changed(`${s.name} weight `, String(s.weight), String(l.weight)));
    out.push(...flag(s.name, 'backup', s.backup, l.backup), ...flag(s.name, 'disabled', s.disabled, l.disabled), ...flag(s.name, 'check', s.check, l.check));
    if (s.check && l.check) out.push(...changed(`${s.name} `, checkTiming(s), checkTiming(l)));
  }
  out.push(...persistenceDrift(run, lab, labServers));
  const common = (list: ServerConfig[], other: Map<string, ServerConfig>) => list.filter((s) => other.has(s.name)).map((s) => s.name);
  const runOrder = common(run.servers, labServers);
  const labOrder = common(lab.servers, runServers);
  if (runOrder.join() !== labOrder.join()) out.push(`servers in the order ${runOrder.join(', ')} (lab.yaml: ${labOrder.join(', ')})`);
  return out;
}

/** Session persistence as the file would say it: `cookie …`, each server's cookie, `stick-table …`, redispatch. */
function persistenceDrift(run: ProxySection, lab: ProxySection, labServers: Map<string, ServerConfig>): string[] {
  const cookieText = (s: ProxySection) => {
    const c = s.persistence.cookie;
    return c ? ['cookie', c.name, 'insert', c.indirect && 'indirect', c.nocache && 'nocache', c.postonly && 'postonly', c.httponly && 'httponly', c.secure && 'secure'].filter(Boolean).join(' ') : 'no cookie';
  };
  const stickText = (s: ProxySection) => {
    const { table, rules } = s.persistence.stick;
    const tableText = table ? `stick-table type ip size ${table.size}${table.expireMs !== undefined ? ` expire ${table.expireMs}ms` : ''}` : 'no stick-table';
    return rules.length > 0 ? `${tableText} + stick on src` : tableText;
  };
  const httpchk = (s: ProxySection) => {
    const c = s.options.httpCheck;
    const e = s.options.httpCheckExpect;
    const expect = e ? `, http-check expect ${e.negate ? '! ' : ''}status ${e.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}` : '';
    return c ? `option httpchk ${c.method} ${c.uri}${expect}` : 'no option httpchk';
  };
  const out = [...changed('', cookieText(run), cookieText(lab)), ...changed('', stickText(run), stickText(lab)), ...changed('', httpchk(run), httpchk(lab))];
  if (run.options.redispatch !== lab.options.redispatch) out.push(`${run.options.redispatch ? 'option redispatch' : 'no option redispatch'} (lab.yaml: ${lab.options.redispatch ? 'option redispatch' : 'no option redispatch'})`);
  for (const s of run.servers) {
    const l = labServers.get(s.name);
    if (l) out.push(...changed(`${s.name} cookie `, s.cookie ?? 'none', l.cookie ?? 'none'));
  }
  return out;
}

/** A checked server's check timing as written: `inter 500ms fall 2 rise 2`. */
function checkTiming(s: ServerConfig): string {
  return `inter ${s.inter}ms fall ${s.fall} rise ${s.rise}`;
}

function flag(server: string, what: string, run: boolean, lab: boolean): string[] {
  return run === lab ? [] : [`${server} ${run ? what : `no ${what}`} (lab.yaml: ${lab ? what : `no ${what}`})`];
}

function serverTraits(s: ServerConfig): string {
  const traits = [`weight ${s.weight}`, s.check && 'check', s.backup && 'backup', s.disabled && 'disabled'].filter(Boolean);
  return ` (${traits.join(' ')})`;
}

/** `balance` as the file would say it, defaults left out: random(2), hdr(host), uri whole len 8. */
export function balanceText(b: BalanceSettings): string {
  switch (b.algorithm) {
    case 'random':
      return `random(${b.draws})`;
    case 'hdr':
      return `hdr(${b.arg ?? ''})${b.useDomainOnly ? ' use_domain_only' : ''}`;
    case 'url_param':
      return `url_param ${b.arg ?? ''}`;
    case 'uri': {
      const u = b.uri;
      if (!u) return 'uri';
      return ['uri', u.whole && 'whole', u.len > 0 && `len ${u.len}`, u.depth > 0 && `depth ${u.depth}`, u.pathOnly && 'path-only'].filter(Boolean).join(' ');
    }
    default:
      return b.algorithm;
  }
}

/** As short as it can be written: bare `consistent` means sdbm with avalanche, bare `map-based` sdbm without. */
function hashTypeText(b: BalanceSettings): string {
  const h = b.hashType;
  if (h.fn === 'sdbm' && h.avalanche === (h.method === 'consistent')) return h.method;
  return [h.method, h.fn, h.avalanche && 'avalanche'].filter(Boolean).join(' ');
}
