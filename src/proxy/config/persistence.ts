/**
 * Session persistence keywords, as HAProxy 2.6 reads them (src/cfgparse-listen.c `cookie`,
 * src/stick_table.c `stick-table`, src/cfgparse-listen.c `stick`): haplab runs the
 * `insert` cookie mode and `stick on src` over the proxy's own `type ip` table; any other
 * form is refused by name rather than run differently.
 */
import { BadInputError } from '../../errors.js';
import type { ProxyConfig } from './model.js';
import { where, type SectionContext } from './section-context.js';
import type { Word } from './tokenize.js';

const COOKIE_FLAGS = ['insert', 'indirect', 'nocache', 'postonly', 'httponly', 'secure'] as const;
const UNSUPPORTED_COOKIE = new Set(['rewrite', 'prefix', 'preserve', 'domain', 'maxidle', 'maxlife', 'dynamic', 'attr']);

/** `cookie NAME [insert] [indirect] [nocache] [postonly] [httponly] [secure]`. */
export function parseCookie(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const name = args[0];
  if (!name || name.text === '') throw new BadInputError("'cookie' expects <cookie_name> as argument", where(ctx, keyword), 'write e.g. cookie SERVERID insert indirect nocache');
  const seen = new Set<string>();
  for (const w of args.slice(1)) {
    if ((COOKIE_FLAGS as readonly string[]).includes(w.text)) seen.add(w.text);
    else if (UNSUPPORTED_COOKIE.has(w.text)) throw new BadInputError(`'cookie ... ${w.text}' is not supported by haplab`, where(ctx, w), 'haplab runs cookie NAME insert [indirect] [nocache] [postonly] [httponly] [secure]');
    else throw new BadInputError(`'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options (got '${w.text}')`, where(ctx, w));
  }
  // HAProxy's default mode is rewrite, which haplab does not run: say so rather than insert silently.
  if (!seen.has('insert')) throw new BadInputError(`'cookie ${name.text}' without 'insert' is rewrite mode, which haplab does not support`, where(ctx, name), `write cookie ${name.text} insert ...`);
  ctx.section.persistence.cookie = {
    name: name.text,
    indirect: seen.has('indirect'),
    nocache: seen.has('nocache'),
    postonly: seen.has('postonly'),
    httponly: seen.has('httponly'),
    secure: seen.has('secure'),
    where: where(ctx, keyword),
  };
}

/** `stick on src` (no table argument, no condition). */
export function parseStick(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const [kind, fetch, ...rest] = args;
  if (kind?.text !== 'on') throw new BadInputError(`'stick ${kind?.text ?? ''}' is not supported by haplab`, where(ctx, kind ?? keyword), 'haplab runs stick on src');
  if (fetch?.text !== 'src') throw new BadInputError(`'stick on ${fetch?.text ?? ''}' is not supported by haplab`, where(ctx, fetch ?? kind), 'haplab runs stick on src');
  if (rest[0]) throw new BadInputError(`'stick on src ${rest[0].text}' is not supported by haplab`, where(ctx, rest[0]), 'haplab runs stick on src over the backend\'s own stick-table');
  ctx.section.persistence.stick.rules.push(where(ctx, keyword));
}

/** As HAProxy's check_config_validity: a `stick` rule needs a table to stick to. */
export function checkPersistence(config: ProxyConfig): void {
  for (const proxy of config.proxies) {
    const { stick } = proxy.persistence;
    if (stick.rules.length > 0 && !stick.table) {
      throw new BadInputError(`Proxy '${proxy.name}': unable to find stick-table '${proxy.name}'.`, stick.rules[0]!, `add 'stick-table type ip size 100k expire 30s' to ${proxy.kind} '${proxy.name}'`);
    }
    if (stick.rules.length > 0 && proxy.stickTable && proxy.stickTable.type !== 'ip') {
      throw new BadInputError(`'stick on src' over a stick-table of type ${proxy.stickTable.type} in ${proxy.kind} '${proxy.name}' is not supported by haplab`, stick.rules[0]!, 'write stick-table type ip …: haplab sticks on IPv4 source addresses');
    }
    if (stick.rules.length > 0 && proxy.mode === 'tcp') {
      throw new BadInputError(`'stick on src' in tcp ${proxy.kind} '${proxy.name}' is not supported by haplab`, stick.rules[0]!, "haplab runs stick tables in 'mode http' backends");
    }
  }
}
