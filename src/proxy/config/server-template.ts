/**
 * `server-template <prefix> <num | low-high> <fqdn>[:<port>] [params*]`, as HAProxy 2.6
 * reads it (server.c _srv_parse_tmpl_range, _srv_parse_tmpl_init): servers <prefix><low>
 * … <prefix><high>, in that order, each a copy of the line's settings. With `resolvers`
 * each is a slot that the DNS answers fill (src/proxy/resolve/).
 */
import { BadInputError } from '../../errors.js';
import type { ProxySection, SourceRef } from './model.js';
import { addPendingServer, checkServerName, parseServerBody } from './server.js';
import type { Word } from './tokenize.js';

/** C's atoi: leading digits (after an optional sign), 0 when there are none. */
function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** `N` is 1..N; `low-high` is low..high; null when HAProxy refuses it (low < 0 or high < low). */
export function templateRange(text: string): { low: number; high: number } | null {
  const dash = text.indexOf('-', /^[+-]/.test(text) ? 1 : 0);
  const range = dash >= 0 ? { low: atoi(text.slice(0, dash)), high: atoi(text.slice(dash + 1)) } : { low: 1, high: atoi(text) };
  return range.low < 0 || range.high < range.low ? null : range;
}

/** Sanity bound: a template is a list of slots, not a way to allocate millions of servers. */
const MAX_TEMPLATE_SERVERS = 10_000;

export function parseServerTemplate(words: readonly Word[], section: ProxySection, where: SourceRef, keyword: Word): void {
  const [prefixWord, rangeWord, addressWord] = words;
  if (!prefixWord || !rangeWord || !addressWord || addressWord.text === '') {
    throw new BadInputError(
      "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments",
      { ...where, column: (prefixWord ?? keyword).column },
      'write e.g. server-template srv 3 tasks.app:5000 resolvers docker init-addr none',
    );
  }
  checkServerName(prefixWord, 'server-template prefix', where);
  const range = templateRange(rangeWord.text);
  if (!range) {
    throw new BadInputError(`Wrong server-template number or range arg '${rangeWord.text}'`, { ...where, column: rangeWord.column }, 'write a count (3: servers 1 to 3) or a range low-high');
  }
  if (range.high - range.low + 1 > MAX_TEMPLATE_SERVERS) {
    throw new BadInputError(`server-template range '${rangeWord.text}' makes more than ${MAX_TEMPLATE_SERVERS} servers`, { ...where, column: rangeWord.column }, 'write a smaller count');
  }
  const body = parseServerBody(addressWord, words.slice(3), section, where, prefixWord.text);
  if (body.explicitId !== undefined && range.high > range.low) {
    // HAProxy copies the id to every slot and then fails on the duplicates; one line says so.
    throw new BadInputError("'id' on a 'server-template' of several servers gives them all the same id", { ...where, column: prefixWord.column }, 'remove id: the servers are numbered in order');
  }
  for (let i = range.low; i <= range.high; i++) {
    addPendingServer(section, { ...body.config, name: `${prefixWord.text}${i}`, where: { ...where, column: prefixWord.column } }, body.explicitId);
  }
}
