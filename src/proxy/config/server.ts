/** `server` and `default-server` lines, with HAProxy 2.6's checks and server IDs. */
import { BadInputError } from '../../errors.js';
import { parseIp } from '../acl/ip.js';
import type { ProxySection, ServerConfig, ServerOptions, SourceRef } from './model.js';
import type { Word } from './tokenize.js';
import { parseInteger, parseTime, splitHostPort } from './values.js';

const SUPPORTED = 'weight, cookie, check, no-check, inter, rise, fall, backup, no-backup, disabled, enabled, id, init-addr, maxconn, port, resolvers, resolve-prefer';

/** Applies the option words of a server line to `options`; returns an explicit `id`, if any. */
function applyServerOptions(words: readonly Word[], options: ServerOptions, where: SourceRef, allowId: boolean): number | undefined {
  let id: number | undefined;
  for (let k = 0; k < words.length; k++) {
    const word = words[k]!;
    const here = { ...where, column: word.column };
    const value = () => {
      const next = words[k + 1];
      if (!next) throw new BadInputError(`'${word.text}' expects an argument`, here, `write '${word.text} VALUE'`);
      k++;
      return next;
    };
    switch (word.text) {
      case 'weight': {
        const w = value();
        const n = parseInteger(w, 'weight', where);
        if (n < 0 || n > 256) {
          throw new BadInputError(`weight of server is not within 0 and 256 (${n})`, { ...where, column: w.column }, 'write a weight from 0 to 256');
        }
        options.weight = n;
        break;
      }
      case 'check':
        options.check = true;
        break;
      case 'no-check':
        options.check = false;
        break;
      case 'inter': {
        const ms = parseTime(value(), 'inter', where);
        if (ms === 0) throw new BadInputError("'inter' must be greater than 0", here, 'write e.g. inter 2s');
        options.inter = ms;
        break;
      }
      case 'rise':
        options.rise = parseInteger(value(), 'rise', where, { min: 1 });
        break;
      case 'fall':
        options.fall = parseInteger(value(), 'fall', where, { min: 1 });
        break;
      case 'backup':
        options.backup = true;
        break;
      case 'no-backup':
        options.backup = false;
        break;
      case 'disabled':
        options.disabled = true;
        break;
      case 'enabled':
        options.disabled = false;
        break;
      case 'maxconn':
        options.maxconn = parseInteger(value(), 'maxconn', where, { min: 0 });
        break;
      case 'init-addr': {
        const v = value();
        for (const method of v.text.split(',')) {
          if (!['last', 'libc', 'none'].includes(method) && !parseIp(method)) {
            throw new BadInputError(`'init-addr' does not know '${method}'`, { ...where, column: v.column }, 'use last, libc, none or an IP address, comma-separated');
          }
        }
        options.initAddr = v.text;
        break;
      }
      case 'cookie':
        options.cookie = value().text;
        break;
      case 'resolvers':
        options.resolvers = value().text;
        break;
      case 'resolve-prefer': {
        const v = value();
        if (v.text !== 'ipv4' && v.text !== 'ipv6') {
          throw new BadInputError(`'resolve-prefer' expects 'ipv4' or 'ipv6', got '${v.text}'`, { ...where, column: v.column }, 'write resolve-prefer ipv4 or resolve-prefer ipv6');
        }
        options.resolvePrefer = v.text;
        break;
      }
      case 'port':
        options.checkPort = parseInteger(value(), 'port', where, { min: 1, max: 65535 });
        break;
      case 'id': {
        if (!allowId) throw new BadInputError("'id' is not allowed on 'default-server'", here, 'set id on each server line');
        id = parseInteger(value(), 'id', where, { min: 1 });
        break;
      }
      default:
        throw new BadInputError(`unknown keyword '${word.text}' on a server line`, here, `haplab supports ${SUPPORTED}`);
    }
  }
  return id;
}

export function parseDefaultServer(words: readonly Word[], section: ProxySection, where: SourceRef): void {
  applyServerOptions(words, section.defaultServer, where, false);
}

interface PendingServer {
  config: Omit<ServerConfig, 'id'>;
  explicitId?: number;
}

const pendingIds = new WeakMap<ProxySection, PendingServer[]>();

/** `server NAME ADDR[:PORT] [options…]` — words[0] is the name. */
export function parseServer(words: readonly Word[], section: ProxySection, where: SourceRef, keyword: Word): void {
  const nameWord = words[0];
  const addressWord = words[1];
  if (!nameWord || !addressWord || addressWord.text === '') {
    throw new BadInputError(
      "'server' expects <name> and <addr>[:<port>] as arguments",
      { ...where, column: (nameWord ?? keyword).column },
      'write e.g. server app1 127.0.0.1:5001 check',
    );
  }
  checkServerName(nameWord, 'server name', where);
  const body = parseServerBody(addressWord, words.slice(2), section, where, nameWord.text);
  addPendingServer(section, { ...body.config, name: nameWord.text, where: { ...where, column: nameWord.column } }, body.explicitId);
}

export function checkServerName(word: Word, what: string, where: SourceRef): void {
  const badChar = [...word.text].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
  if (badChar !== undefined) {
    throw new BadInputError(`character '${badChar}' is not permitted in ${what} '${word.text}'`, { ...where, column: word.column }, 'server names use letters, digits, - _ . :');
  }
}

/** What follows a server's name (or a template's range): its address and its options. */
export function parseServerBody(
  addressWord: Word,
  optionWords: readonly Word[],
  section: ProxySection,
  where: SourceRef,
  name: string,
): { config: Omit<ServerConfig, 'id' | 'name' | 'where'>; explicitId?: number } {
  const { host, port: portText } = splitHostPort(addressWord.text);
  let port: number | undefined;
  if (portText !== undefined && portText !== '') {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new BadInputError(
        `invalid port '${portText}' in server address '${addressWord.text}'`,
        { ...where, column: addressWord.column },
        'write HOST:PORT with a port from 1 to 65535 (port offsets and ranges are not supported by haplab)',
      );
    }
    port = Number(portText);
  }
  if (host === '') {
    throw new BadInputError(`missing host in server address '${addressWord.text}'`, { ...where, column: addressWord.column }, 'write HOST:PORT');
  }
  if (host.startsWith('_')) {
    throw new BadInputError(
      `server address '${addressWord.text}' names a DNS SRV record, which haplab's proxy does not resolve`,
      { ...where, column: addressWord.column },
      'name the service itself with its port (e.g. tasks.app:5000): A/AAAA records fill the slots',
    );
  }
  const options: ServerOptions = { ...section.defaultServer };
  const explicitId = applyServerOptions(optionWords, options, where, true);
  if (options.check && !options.disabled && port === undefined && options.checkPort === undefined) {
    throw new BadInputError(
      `server '${name}' has neither service port nor check port`,
      { ...where, column: addressWord.column },
      "add ':PORT' to the address, or 'port N' for the health check",
    );
  }
  return { config: { ...options, host, port, fqdn: parseIp(host) === undefined }, explicitId };
}

export function addPendingServer(section: ProxySection, config: Omit<ServerConfig, 'id'>, explicitId: number | undefined): void {
  const list = pendingIds.get(section) ?? [];
  pendingIds.set(section, list);
  list.push({ config, explicitId });
}

/**
 * Gives every server its HAProxy ID once the section ends: explicit IDs first, then the
 * first free number from a counter that also advances past explicitly numbered servers.
 */
export function finishServers(section: ProxySection): void {
  const pending = pendingIds.get(section) ?? [];
  pendingIds.delete(section);
  const used = new Map<number, PendingServer>();
  for (const p of pending) {
    if (p.explicitId === undefined) continue;
    const other = used.get(p.explicitId);
    if (other) {
      throw new BadInputError(
        `server '${p.config.name}' has the same id ${p.explicitId} as server '${other.config.name}' (line ${other.config.where.line})`,
        p.config.where,
        'give each server a distinct id',
      );
    }
    used.set(p.explicitId, p);
  }
  const names = new Map<string, PendingServer>();
  let next = 1;
  for (const p of pending) {
    if (p.explicitId === undefined) {
      const earlier = names.get(p.config.name);
      if (earlier) {
        throw new BadInputError(
          `another server named '${p.config.name}' was already defined at line ${earlier.config.where.line} in ${section.kind} '${section.name}'`,
          p.config.where,
          'use distinct server names',
        );
      }
      names.set(p.config.name, p);
      while (used.has(next)) next++;
      used.set(next, p);
      section.servers.push({ ...p.config, id: next });
    } else {
      section.servers.push({ ...p.config, id: p.explicitId });
    }
    next++;
  }
}
