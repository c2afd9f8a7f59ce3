/**
 * Keywords of defaults/frontend/backend/listen sections. Each keyword declares where it
 * may appear (HAProxy's §4.1 matrix): in the wrong kind of proxy HAProxy ignores it
 * with a warning, and so do we, saying so; `server` there, or a keyword that a
 * `defaults` section cannot hold, is an error as in HAProxy.
 */
import { BadInputError } from '../../errors.js';
import { parseBalance, parseHashType } from './balance.js';
import { checkLogLine } from './log.js';
import { parseOption, parseTimeout } from './options.js';
import { parseCookie, parseStick } from './persistence.js';
import { parseHttpCheck } from './http-check.js';
import { parseAcl, parseDefaultBackend, parseHttpRequest, parseUseBackend } from './rules.js';
import { capable, noMoreArgs, where, type KeywordRule, type SectionContext } from './section-context.js';
import { parseDefaultServer, parseServer } from './server.js';
import { parseServerTemplate } from './server-template.js';
import { parseStickTable } from '../stick-table/config.js';
import { parseTcpRequest } from './tcp-request.js';
import type { Word } from './tokenize.js';
import { parseInteger, splitHostPort } from './values.js';

export type { SectionContext } from './section-context.js';

function parseBind(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const spec = args[0];
  if (!spec) throw new BadInputError("'bind' expects [address]:port", where(ctx, keyword), 'write bind *:80 or bind 127.0.0.1:8080');
  for (const part of spec.text.split(',')) {
    if (part.includes('@') || part.startsWith('/')) {
      throw new BadInputError(`address '${part}' in 'bind' is not supported by haplab`, where(ctx, spec), 'write [IPV4|IPV6|*]:PORT; unix sockets, fd@ and ipv4@ prefixes are not supported');
    }
    const { host, port } = splitHostPort(part);
    if (port === undefined || !/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      throw new BadInputError(
        `invalid address '${part}' in 'bind'`,
        where(ctx, spec),
        'write [ADDRESS]:PORT with a port from 1 to 65535, e.g. *:80 or :8080 (port ranges are not supported by haplab)',
      );
    }
    const listenHost = host === '' || host === '*' ? '0.0.0.0' : host;
    ctx.section.binds.push({ host: listenHost, port: Number(port), where: where(ctx, spec) });
  }
  const first = ctx.section.binds.length - spec.text.split(',').length;
  let ssl = false;
  let crt: string | undefined;
  for (let k = 1; k < args.length; k++) {
    const w = args[k]!;
    if (w.text === 'name') k++;
    else if (w.text === 'ssl') ssl = true;
    else if (w.text === 'crt') {
      const file = args[++k];
      if (!file || file.text === '') throw new BadInputError("'crt' expects a PEM file", where(ctx, w), 'write ssl crt /path/to/site.pem');
      crt = file.text;
    } else if (w.text !== 'v4v6' && w.text !== 'v6only') {
      throw new BadInputError(`bind option '${w.text}' is not supported by haplab`, where(ctx, w), 'haplab supports ssl crt FILE, name, v4v6 and v6only; remove the option');
    }
  }
  if (ssl && !crt) throw new BadInputError(`'bind ${spec.text}' : 'ssl' needs a certificate`, where(ctx, spec), 'add crt /path/to/site.pem (certificate and key in one PEM)');
  if (ssl && crt) for (const b of ctx.section.binds.slice(first)) b.ssl = { crt };
}

export const PROXY_KEYWORDS: Readonly<Record<string, KeywordRule>> = {
  bind: { needs: 'frontend', inDefaults: false, parsedWhenIgnored: true, parse: parseBind },
  mode: {
    needs: 'any',
    inDefaults: true,
    parse(args, ctx, keyword) {
      const m = args[0]?.text;
      if (m !== 'http' && m !== 'tcp') {
        throw new BadInputError(`unknown proxy mode '${m ?? ''}'`, where(ctx, args[0] ?? keyword), "use 'mode http' or 'mode tcp'");
      }
      noMoreArgs(args, 1, 'mode', ctx);
      ctx.section.mode = m;
    },
  },
  balance: { needs: 'backend', inDefaults: true, parsedWhenIgnored: true, parse: (args, ctx) => parseBalance(args, ctx.section.balance, where(ctx), ctx.warnings) },
  'hash-type': { needs: 'backend', inDefaults: true, parsedWhenIgnored: true, parse: (args, ctx) => parseHashType(args, ctx.section.balance, where(ctx)) },
  server: { needs: 'backend', inDefaults: false, strict: true, parse: (args, ctx, kw) => parseServer(args, ctx.section, where(ctx), kw) },
  'server-template': { needs: 'backend', inDefaults: false, strict: true, parse: (args, ctx, kw) => parseServerTemplate(args, ctx.section, where(ctx), kw) },
  'default-server': { needs: 'backend', inDefaults: true, strict: true, parse: (args, ctx) => parseDefaultServer(args, ctx.section, where(ctx)) },
  acl: { needs: 'any', inDefaults: 'named', parse: parseAcl },
  cookie: { needs: 'backend', inDefaults: true, parse: parseCookie },
  'http-check': { needs: 'backend', inDefaults: true, parse: parseHttpCheck },
  stick: { needs: 'backend', inDefaults: false, parse: parseStick },
  'http-request': { needs: 'any', inDefaults: 'named', parse: parseHttpRequest },
  'tcp-request': { needs: 'any', inDefaults: 'named', parse: parseTcpRequest },
  'stick-table': {
    needs: 'any',
    inDefaults: false,
    parse(args, ctx, keyword) {
      if (ctx.section.stickTable) throw new BadInputError('only one stick-table per proxy', where(ctx, keyword), 'remove one of the stick-table lines');
      const table = parseStickTable(args, (w) => where(ctx, w ?? keyword));
      ctx.section.stickTable = { ...table, where: where(ctx, keyword) };
      // The same table is the one `stick on src` sticks to (persist/): one parser, two users.
      ctx.section.persistence.stick.table = { size: table.size, expireMs: table.expireMs, where: where(ctx, keyword) };
    },
  },
  use_backend: { needs: 'frontend', inDefaults: false, parsedWhenIgnored: true, parse: parseUseBackend },
  default_backend: { needs: 'frontend', inDefaults: true, parsedWhenIgnored: true, parse: parseDefaultBackend },
  timeout: { needs: 'any', inDefaults: true, parse: parseTimeout },
  option: { needs: 'any', inDefaults: true, parse: (args, ctx, keyword) => parseOption(args, ctx, keyword, false) },
  retries: {
    needs: 'backend',
    inDefaults: true,
    parsedWhenIgnored: true,
    parse(args, ctx) {
      ctx.section.retries = parseInteger(args[0], 'retries', where(ctx), { min: 0 });
      noMoreArgs(args, 1, 'retries', ctx);
    },
  },
  maxconn: {
    needs: 'frontend',
    inDefaults: true,
    parsedWhenIgnored: true,
    parse(args, ctx) {
      ctx.section.maxconn = parseInteger(args[0], 'maxconn', where(ctx), { min: 0 });
      noMoreArgs(args, 1, 'maxconn', ctx);
    },
  },
  log: {
    needs: 'any',
    inDefaults: true,
    parse(args, ctx, keyword) {
      checkLogLine(args, where(ctx, keyword), false);
      ctx.section.logs.push(args.map((w) => w.text));
    },
  },
  stats: {
    needs: 'any',
    inDefaults: true,
    parse(args, ctx, keyword) {
      const what = args[0];
      if (what?.text === 'enable') {
        ctx.section.statsUri ??= '/haproxy?stats';
        noMoreArgs(args, 1, 'stats enable', ctx);
      } else if (what?.text === 'uri') {
        const uri = args[1];
        if (!uri || uri.text === '') throw new BadInputError("'stats uri' expects a URI prefix", where(ctx, what), 'write stats uri /stats');
        ctx.section.statsUri = uri.text;
        noMoreArgs(args, 2, 'stats uri', ctx);
      } else {
        throw new BadInputError(`'stats ${what?.text ?? ''}' is not supported by haplab`, where(ctx, what ?? keyword), 'haplab supports stats enable and stats uri PATH');
      }
    },
  },
};

/** Parses one line of a proxy section; `words[0]` is the keyword. */
export function parseProxyLine(words: readonly Word[], ctx: SectionContext): void {
  const keyword = words[0]!;
  const args = words.slice(1);
  if (keyword.text === 'no' && args[0]?.text === 'option') {
    parseOption(args.slice(1), ctx, args[0], true);
    return;
  }
  if (keyword.text === 'random') {
    // HAProxy 2.6 has no `random draw N` keyword; the seed's ep08 line fails there too.
    throw new BadInputError(
      `unknown keyword 'random' in '${ctx.section.kind}' section`,
      where(ctx, keyword),
      `HAProxy 2.6 rejects 'random draw N' as well; write 'balance random(${args[1]?.text ?? '2'})' instead`,
    );
  }
  const rule = PROXY_KEYWORDS[keyword.text];
  if (!rule) {
    const near = closest(keyword.text, Object.keys(PROXY_KEYWORDS));
    throw new BadInputError(
      `unknown keyword '${keyword.text}' in '${ctx.section.kind}' section`,
      where(ctx, keyword),
      near ? `did you mean '${near}'?` : `haplab supports ${Object.keys(PROXY_KEYWORDS).join(', ')}; check the spelling or remove the line`,
    );
  }
  if (ctx.section.kind === 'defaults') {
    if (rule.inDefaults === false) {
      throw new BadInputError(`'${keyword.text}' not allowed in 'defaults' section`, where(ctx, keyword), 'move it to a frontend, backend or listen section');
    }
    if (rule.inDefaults === 'named' && ctx.anonymousDefaults) {
      throw new BadInputError(
        `'${keyword.text}' not allowed in anonymous 'defaults' section`,
        where(ctx, keyword),
        'name the defaults section (defaults NAME) or move the line to the frontend/backend',
      );
    }
  } else if (!capable(ctx, rule.needs, keyword.text, keyword, rule.strict)) {
    if (rule.parsedWhenIgnored) rule.parse(args, ctx, keyword);
    return;
  }
  rule.parse(args, ctx, keyword);
}

/** The known word within two edits of `word`, if there is one (for "did you mean"). */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
