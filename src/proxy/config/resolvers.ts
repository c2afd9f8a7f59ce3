/**
 * `resolvers NAME` sections, as HAProxy 2.6 reads them (resolvers.c cfg_parse_resolvers and
 * resolvers_new for the defaults): UDP nameservers, `hold`, `timeout resolve|retry`,
 * `resolve_retries`, `accepted_payload_size`. What haplab's resolver does not do is refused
 * here, one line each, rather than silently ignored: `parse-resolv-conf` (the proxy reads no
 * system file) and TCP nameservers (`tcp@`).
 */
import { BadInputError } from '../../errors.js';
import { parseIp } from '../acl/ip.js';
import type { ProxyConfig, ResolversConfig, SourceRef } from './model.js';
import type { Word } from './tokenize.js';
import { parseTime } from './values.js';

const NAME = /^[A-Za-z0-9_.:-]+$/;
const HOLD_EVENTS = ['nx', 'other', 'refused', 'timeout', 'valid', 'obsolete'] as const;
/** DNS_HEADER_SIZE and DNS_MAX_UDP_MESSAGE (include/haproxy/dns-t.h). */
const DNS_HEADER_SIZE = 12;
const DNS_MAX_UDP_MESSAGE = 65535;

function badChar(text: string): string | undefined {
  return [...text].find((c) => !/[A-Za-z0-9_.:-]/.test(c));
}

/** `resolvers NAME`: a fresh section with HAProxy's defaults. */
export function openResolvers(words: readonly Word[], existing: ReadonlyMap<string, ResolversConfig>, where: SourceRef): ResolversConfig {
  const nameWord = words[1];
  if (!nameWord || nameWord.text === '') throw new BadInputError('missing name for resolvers section', where, "write 'resolvers NAME'");
  if (!NAME.test(nameWord.text)) {
    throw new BadInputError(`character '${badChar(nameWord.text)}' is not permitted in 'resolvers' name '${nameWord.text}'`, { ...where, column: nameWord.column }, 'names use letters, digits, - _ . :');
  }
  const other = existing.get(nameWord.text);
  if (other) {
    throw new BadInputError(`resolvers '${nameWord.text}' has same name as another resolvers (declared at ${other.where.file}:${other.where.line})`, { ...where, column: nameWord.column }, 'give each resolvers section its own name');
  }
  return {
    name: nameWord.text,
    nameservers: [],
    hold: { valid: 10_000, nx: 30_000, refused: 30_000, timeout: 30_000, other: 30_000, obsolete: 0 },
    timeouts: { resolve: 1000, retry: 1000 },
    resolveRetries: 3,
    acceptedPayloadSize: 512,
    where,
  };
}

/** One line inside a `resolvers` section. */
export function parseResolversLine(words: readonly Word[], section: ResolversConfig, where: SourceRef): void {
  const keyword = words[0]!;
  const at = (word: Word | undefined) => ({ ...where, column: (word ?? keyword).column });
  switch (keyword.text) {
    case 'nameserver':
      parseNameserver(words, section, where);
      return;
    case 'hold': {
      const event = words[1];
      if (!event || !words[2]) throw new BadInputError("'hold' expects an <event> and a <time> as arguments", at(event), "write e.g. 'hold valid 10s' (events: valid, nx, refused, timeout, other, obsolete)");
      const ms = parseTime(words[2], `hold ${event.text}`, where);
      if (!(HOLD_EVENTS as readonly string[]).includes(event.text)) {
        throw new BadInputError(`'hold' unknown <event>: '${event.text}', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'`, at(event), 'use one of valid, nx, refused, timeout, other, obsolete');
      }
      section.hold[event.text as (typeof HOLD_EVENTS)[number]] = ms;
      return;
    }
    case 'timeout': {
      const which = words[1];
      if (!which || (which.text !== 'retry' && which.text !== 'resolve')) {
        throw new BadInputError(`'timeout' expects 'retry' or 'resolve' and <time> as arguments${which ? ` got '${which.text}'` : ''}`, at(which), "write 'timeout resolve 1s' or 'timeout retry 1s'");
      }
      if (!words[2]) throw new BadInputError(`'timeout ${which.text}' expects <time> as argument`, at(which), `write 'timeout ${which.text} 1s'`);
      section.timeouts[which.text] = parseTime(words[2], `timeout ${which.text}`, where);
      return;
    }
    case 'resolve_retries':
      // HAProxy reads it with atoi(): a count below 1 would never send a query.
      section.resolveRetries = positiveCount(words[1], 'resolve_retries', where, 1, 2_147_483_647);
      return;
    case 'accepted_payload_size':
      section.acceptedPayloadSize = positiveCount(words[1], 'accepted_payload_size', where, DNS_HEADER_SIZE, DNS_MAX_UDP_MESSAGE);
      return;
    case 'parse-resolv-conf':
      throw new BadInputError("'parse-resolv-conf' is not supported by haplab's proxy (it reads no system file)", at(keyword), "list each server with 'nameserver NAME IP:PORT' (on Docker: nameserver dns1 127.0.0.11:53)");
    default:
      throw new BadInputError(`unknown keyword '${keyword.text}' in 'resolvers' section`, at(keyword), 'haplab reads nameserver, hold, timeout resolve|retry, resolve_retries and accepted_payload_size here');
  }
}

function positiveCount(word: Word | undefined, what: string, where: SourceRef, min: number, max: number): number {
  if (!word) throw new BadInputError(`'${what}' expects <nb> as argument`, where, `write '${what} N'`);
  const n = /^\d+$/.test(word.text) ? Number(word.text) : NaN;
  if (!(n >= min && n <= max)) {
    throw new BadInputError(`'${what}' must be between ${min} and ${max} inclusive (was ${word.text})`, { ...where, column: word.column }, `write a number from ${min} to ${max}`);
  }
  return n;
}

function parseNameserver(words: readonly Word[], section: ResolversConfig, where: SourceRef): void {
  const [, nameWord, addressWord] = words;
  if (!nameWord || !addressWord) {
    throw new BadInputError("'nameserver' expects <name> and <addr>[:<port>] as arguments", { ...where, column: words[0]!.column }, 'write e.g. nameserver dns1 127.0.0.11:53');
  }
  if (!NAME.test(nameWord.text)) {
    throw new BadInputError(`character '${badChar(nameWord.text)}' is not permitted in server name '${nameWord.text}'`, { ...where, column: nameWord.column }, 'names use letters, digits, - _ . :');
  }
  const other = section.nameservers.find((n) => n.name === nameWord.text);
  if (other) {
    throw new BadInputError(`nameserver '${nameWord.text}' has same name as another nameserver (declared at ${other.where.file}:${other.where.line})`, { ...where, column: nameWord.column }, 'give each nameserver its own name');
  }
  const here = { ...where, column: addressWord.column };
  const text = addressWord.text.startsWith('udp@') ? addressWord.text.slice(4) : addressWord.text;
  if (/^[a-z0-9]+@/.test(text)) {
    throw new BadInputError(`nameserver address '${addressWord.text}': haplab's resolver only queries over UDP`, here, 'write IP:PORT or udp@IP:PORT');
  }
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text) ?? /^(.*):(\d+)$/.exec(text);
  const host = m?.[1];
  const port = m ? Number(m[2]) : NaN;
  if (!host || !(port >= 1 && port <= 65535)) {
    throw new BadInputError(`'nameserver ${nameWord.text}' : a port is mandatory in '${addressWord.text}'`, here, 'write IP:PORT, e.g. 127.0.0.11:53');
  }
  if (!parseIp(host)) {
    throw new BadInputError(`nameserver address '${addressWord.text}' is not an IP address`, here, 'write the nameserver as IP:PORT (haplab resolves no name to find a nameserver)');
  }
  section.nameservers.push({ name: nameWord.text, host, port, where: { ...where, column: nameWord.column } });
}

/** resolvers_finalize_config: every `resolvers NAME` on a server names a declared section. */
export function checkServerResolvers(config: ProxyConfig): void {
  for (const proxy of config.proxies) {
    for (const server of proxy.servers) {
      const name = server.resolvers;
      if (name === undefined || config.resolvers.has(name)) continue;
      const known = [...config.resolvers.keys()];
      throw new BadInputError(
        `${proxy.kind} '${proxy.name}', server '${server.name}': unable to find required resolvers '${name}'`,
        server.where,
        name === 'default'
          ? "HAProxy makes 'default' from /etc/resolv.conf, which haplab's proxy does not read: declare 'resolvers default' with its nameserver lines"
          : known.length ? `declare 'resolvers ${name}' or use one of: ${known.join(', ')}` : `declare a 'resolvers ${name}' section with a nameserver line`,
      );
    }
  }
}
