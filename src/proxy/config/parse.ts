/**
 * Reads a whole haproxy.cfg: cuts lines into words, follows sections, applies defaults
 * inheritance, then runs the cross-checks HAProxy runs once everything is read. The
 * first problem is thrown as a BadInputError carrying file, line and column.
 */
import { BadInputError } from '../../errors.js';
import { checkConfig } from './check.js';
import { freshSection, sectionFrom } from './defaults.js';
import { freshGlobal, parseGlobalLine } from './global.js';
import type { ConfigWarning, ProxyConfig, ProxySection, ResolversConfig, SectionKind } from './model.js';
import { parseProxyLine } from './proxy-keywords.js';
import { openResolvers, parseResolversLine } from './resolvers.js';
import { finishServers } from './server.js';
import { tokenizeLine, type Environment, type Word } from './tokenize.js';

export interface ParseOptions {
  /** Shown in messages; defaults to haproxy.cfg. */
  file?: string;
  /** For "$VAR" expansion; defaults to process.env. */
  env?: Environment;
}

const OTHER_SECTIONS = new Set([
  'userlist', 'peers', 'mailers', 'program', 'http-errors', 'ring', 'cache',
  'fcgi-app', 'log-forward', 'crt-store', 'dynamic-update', 'traces',
]);

const PROXY_NAME = /^[A-Za-z0-9_.:-]+$/;

interface OpenSection {
  kind: 'global' | 'resolvers' | SectionKind;
  proxy?: ProxySection;
  resolvers?: ResolversConfig;
  /** For defaults: whether it was given a name. */
  named?: boolean;
}

interface DefaultsUse {
  section: ProxySection;
  /** An earlier defaults section with the same name: `from NAME` is then ambiguous. */
  shadows?: ProxySection;
  frontendUser?: string;
  backendUser?: string;
}

export function parseConfig(text: string, options: ParseOptions = {}): ProxyConfig {
  const file = options.file ?? 'haproxy.cfg';
  const env = options.env ?? process.env;
  const warnings: ConfigWarning[] = [];
  const config: ProxyConfig = { file, global: freshGlobal(), resolvers: new Map(), frontends: [], backends: new Map(), proxies: [], warnings };
  const namedDefaults = new Map<string, DefaultsUse>();
  let lastDefaults: DefaultsUse | undefined;
  let open: OpenSection | undefined;

  const close = () => {
    const proxy = open?.proxy;
    if (proxy) finishServers(proxy);
    if (proxy && proxy.kind !== 'defaults') register(config, proxy);
  };

  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const words = tokenizeLine(lines[index]!, { file, line }, env);
    if (words.length === 0 || words[0]!.text === '') continue;
    const keyword = words[0]!;
    const where = { file, line, column: keyword.column };

    if (keyword.text === 'global') {
      const extra = words[1];
      if (extra) throw new BadInputError(`'global' cannot handle unexpected argument '${extra.text}'`, { file, line, column: extra.column }, 'write global alone on its line');
      close();
      open = { kind: 'global' };
      continue;
    }
    if (keyword.text === 'defaults' || keyword.text === 'frontend' || keyword.text === 'backend' || keyword.text === 'listen') {
      close();
      const kind = keyword.text;
      const { name, from } = sectionHeader(words, kind, file, line);
      let base: DefaultsUse | undefined = lastDefaults;
      if (from !== undefined) {
        base = namedDefaults.get(from.text);
        if (!base) {
          throw new BadInputError(`defaults section '${from.text}' not found for ${kind} '${name}'`, { file, line, column: from.column }, 'declare "defaults NAME" above, or fix the name after "from"');
        }
        if (base.shadows) {
          const [a, b] = [base.shadows.where, base.section.where];
          throw new BadInputError(
            `ambiguous defaults section name '${from.text}' referenced by ${kind} '${name}' exists at least at ${a.file}:${a.line} and ${b.file}:${b.line}`,
            { file, line, column: from.column },
            'give each defaults section its own name',
          );
        }
      }
      if (kind === 'defaults') {
        // A plain `defaults` resets everything; only `from` carries settings across.
        const section = from !== undefined ? sectionFrom('defaults', name, where, base!.section) : freshSection('defaults', name, where);
        const use: DefaultsUse = { section, shadows: namedDefaults.get(name)?.section };
        if (name !== '') namedDefaults.set(name, use);
        lastDefaults = use;
        open = { kind, proxy: section, named: name !== '' };
      } else {
        if (base) noteDefaultsUse(base, kind, name, file, line);
        open = { kind, proxy: sectionFrom(kind, name, where, base?.section) };
      }
      continue;
    }
    if (keyword.text === 'resolvers') {
      close();
      const resolvers = openResolvers(words, config.resolvers, where);
      config.resolvers.set(resolvers.name, resolvers);
      open = { kind: 'resolvers', resolvers };
      continue;
    }
    if (OTHER_SECTIONS.has(keyword.text)) {
      throw new BadInputError(`section '${keyword.text}' is not supported by haplab`, where, 'haplab reads global, defaults, frontend, backend, listen and resolvers sections');
    }
    if (keyword.text.startsWith('.') || keyword.text.startsWith('[')) {
      throw new BadInputError(`'${keyword.text}' (conditional blocks and scopes) is not supported by haplab`, where, 'remove the directive');
    }
    if (!open) {
      throw new BadInputError(`unknown keyword '${keyword.text}' out of section`, where, 'start a section first: global, defaults, frontend, backend, listen or resolvers');
    }
    if (open.kind === 'global') parseGlobalLine(words, config.global, { file, line }, warnings);
    else if (open.kind === 'resolvers') parseResolversLine(words, open.resolvers!, where);
    else {
      parseProxyLine(words, {
        file,
        line,
        section: open.proxy!,
        anonymousDefaults: open.kind === 'defaults' && !open.named,
        warnings,
      });
    }
  }
  close();
  checkConfig(config);
  return config;
}

function sectionHeader(words: readonly Word[], kind: SectionKind, file: string, line: number): { name: string; from?: Word } {
  const nameWord = words[1];
  let name = '';
  let fromIndex = 1;
  if (nameWord && nameWord.text !== 'from') {
    name = nameWord.text;
    fromIndex = 2;
  }
  if (kind !== 'defaults' && name === '') {
    throw new BadInputError(`'${kind}' expects <name> as an argument`, { file, line, column: words[0]!.column }, `write '${kind} NAME'`);
  }
  if (name !== '' && !PROXY_NAME.test(name)) {
    const bad = [...name].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
    throw new BadInputError(`character '${bad}' is not permitted in '${kind}' name '${name}'`, { file, line, column: nameWord!.column }, 'names use letters, digits, - _ . :');
  }
  const fromWord = words[fromIndex];
  if (!fromWord) return { name };
  if (fromWord.text !== 'from' || !words[fromIndex + 1] || words[fromIndex + 2]) {
    throw new BadInputError(`unexpected '${fromWord.text}' after ${kind} name`, { file, line, column: fromWord.column }, `write '${kind} NAME [from DEFAULTS]'`);
  }
  return { name, from: words[fromIndex + 1] };
}

/** HAProxy refuses one defaults section with rules feeding both frontends and backends. */
function noteDefaultsUse(use: DefaultsUse, kind: SectionKind, name: string, file: string, line: number): void {
  if (kind === 'frontend' || kind === 'listen') use.frontendUser ??= name;
  if (kind === 'backend' || kind === 'listen') use.backendUser ??= name;
  const hasRules = use.section.acls.size > 0 || use.section.httpRequestRules.length > 0;
  if (hasRules && use.frontendUser !== undefined && use.backendUser !== undefined) {
    throw new BadInputError(
      `frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at ${use.section.where.file}:${use.section.where.line})`,
      { file, line },
      'give frontends and backends separate named defaults sections',
    );
  }
}

function register(config: ProxyConfig, proxy: ProxySection): void {
  for (const other of config.proxies) {
    const overlap = (other.capabilities.frontend && proxy.capabilities.frontend) || (other.capabilities.backend && proxy.capabilities.backend);
    if (other.name === proxy.name && overlap) {
      throw new BadInputError(
        `${proxy.kind} '${proxy.name}' has the same name as ${other.kind} '${other.name}' declared at ${other.where.file}:${other.where.line}`,
        proxy.where,
        'give each proxy a distinct name',
      );
    }
  }
  config.proxies.push(proxy);
  if (proxy.capabilities.frontend) config.frontends.push(proxy);
  if (proxy.capabilities.backend) config.backends.set(proxy.name, proxy);
}
