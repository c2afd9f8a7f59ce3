/** `option …` and `timeout …` lines. */
import { BadInputError } from '../../errors.js';
import { parseNetwork } from '../acl/ip.js';
import type { Timeouts } from './model.js';
import { capable, noMoreArgs, where, type Needs, type SectionContext } from './section-context.js';
import type { Word } from './tokenize.js';
import { parseInteger, parseTime } from './values.js';

export const TIMEOUTS: Readonly<Record<string, { field: keyof Timeouts; needs: Needs }>> = {
  connect: { field: 'connect', needs: 'backend' },
  client: { field: 'client', needs: 'frontend' },
  server: { field: 'server', needs: 'backend' },
  'http-request': { field: 'httpRequest', needs: 'any' },
  'http-keep-alive': { field: 'httpKeepAlive', needs: 'any' },
  queue: { field: 'queue', needs: 'backend' },
  check: { field: 'check', needs: 'backend' },
  tunnel: { field: 'tunnel', needs: 'backend' },
  'client-fin': { field: 'clientFin', needs: 'frontend' },
  'server-fin': { field: 'serverFin', needs: 'backend' },
};

export function parseTimeout(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const kind = args[0];
  const spec = kind ? TIMEOUTS[kind.text] : undefined;
  if (!kind || !spec) {
    throw new BadInputError(`unknown timeout '${kind?.text ?? ''}'`, where(ctx, kind ?? keyword), `use one of ${Object.keys(TIMEOUTS).join(', ')}`);
  }
  // HAProxy reads the value even where it then ignores the timeout: a bad one is an error.
  const usable = capable(ctx, spec.needs, `timeout ${kind.text}`, kind);
  const ms = parseTime(args[1], `timeout ${kind.text}`, where(ctx, kind));
  noMoreArgs(args, 2, `timeout ${kind.text}`, ctx);
  if (usable) ctx.section.timeouts[spec.field] = ms;
}

export function parseOption(args: readonly Word[], ctx: SectionContext, keyword: Word, negated: boolean): void {
  const nameWord = args[0];
  const name = nameWord?.text ?? '';
  const rest = args.slice(1);
  const needs: Needs = ['httpchk', 'redispatch'].includes(name) ? 'backend' : ['httplog', 'dontlognull'].includes(name) ? 'frontend' : 'any';
  const negatable = ['dontlognull', 'http-keep-alive', 'redispatch'];
  if (negated && !negatable.includes(name)) {
    throw new BadInputError(`'no option ${name}' is not supported`, where(ctx, nameWord ?? keyword), `haplab accepts 'no option' for ${negatable.join(', ')}`);
  }
  const usable = capable(ctx, needs, `option ${name}`, nameWord ?? keyword);
  // Ignored options still have their arguments checked by HAProxy, redispatch excepted.
  if (!usable && name === 'redispatch') return;
  const options = usable ? ctx.section.options : { ...ctx.section.options };
  switch (name) {
    case 'forwardfor': {
      const ff = { header: 'X-Forwarded-For', ifNone: false, except: undefined as string | undefined };
      for (let k = 0; k < rest.length; k++) {
        const w = rest[k]!;
        if (w.text === 'if-none') ff.ifNone = true;
        else if (w.text === 'header' || w.text === 'except') {
          const value = rest[++k];
          if (!value) throw new BadInputError(`'option forwardfor ${w.text}' expects a value`, where(ctx, w), `write ${w.text} VALUE`);
          if (w.text === 'except' && !parseNetwork(value.text)) {
            throw new BadInputError(`invalid network '${value.text}' after 'except'`, where(ctx, value), 'write an address or CIDR network');
          }
          if (w.text === 'header') ff.header = value.text;
          else ff.except = value.text;
        } else throw new BadInputError(`'option forwardfor' does not know '${w.text}'`, where(ctx, w), 'use except NET, header NAME, if-none');
      }
      options.forwardFor = ff;
      return;
    }
    case 'httpchk': {
      if (rest.length > 3) noMoreArgs(rest, 3, 'option httpchk', ctx);
      const [a, b, c] = rest.map((w) => w.text);
      options.httpCheck =
        rest.length === 0 ? { method: 'OPTIONS', uri: '/', version: 'HTTP/1.0' }
        : rest.length === 1 ? { method: 'OPTIONS', uri: a!, version: 'HTTP/1.0' }
        : { method: a!, uri: b!, version: c ?? 'HTTP/1.0' };
      return;
    }
    case 'httplog':
      if (rest[0] && rest[0].text !== 'clf') noMoreArgs(rest, 0, 'option httplog', ctx);
      options.httpLog = true;
      options.tcpLog = false;
      return;
    case 'tcplog':
      noMoreArgs(rest, 0, 'option tcplog', ctx);
      options.tcpLog = true;
      options.httpLog = false;
      return;
    case 'dontlognull':
      noMoreArgs(rest, 0, 'option dontlognull', ctx);
      options.dontLogNull = !negated;
      return;
    case 'http-keep-alive':
      noMoreArgs(rest, 0, 'option http-keep-alive', ctx);
      options.httpKeepAlive = !negated;
      return;
    case 'redispatch':
      options.redispatch = !negated;
      options.redispatchInterval = rest[0] ? parseInteger(rest[0], 'option redispatch', where(ctx)) : -1;
      if (options.redispatchInterval === 0) options.redispatch = false;
      noMoreArgs(rest, 1, 'option redispatch', ctx);
      return;
    default:
      throw new BadInputError(
        `unknown option '${name}' in '${ctx.section.kind}' section`,
        where(ctx, nameWord ?? keyword),
        'haplab supports option forwardfor, httpchk, httplog, tcplog, dontlognull, http-keep-alive, redispatch',
      );
  }
}
