/**
 * `tcp-request inspect-delay T` and `tcp-request content accept|reject [if|unless COND]`
 * (HAProxy 2.6 src/tcp_rules.c): how long a tcp frontend may hold a new connection to read
 * its first bytes, and the rules that read them (req.ssl_hello_type, req.ssl_sni).
 */
import { BadInputError } from '../../errors.js';
import { splitCondition } from './rules.js';
import { noMoreArgs, where, type SectionContext } from './section-context.js';
import type { Word } from './tokenize.js';
import { parseTime } from './values.js';

export function parseTcpRequest(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const kind = args[0];
  const tcp = (ctx.section.tcpRequest ??= { content: [] });
  if (kind?.text === 'inspect-delay') {
    tcp.inspectDelay = parseTime(args[1], 'tcp-request inspect-delay', where(ctx, kind));
    noMoreArgs(args, 2, 'tcp-request inspect-delay', ctx);
    return;
  }
  if (kind?.text === 'content') {
    const action = args[1];
    if (action?.text !== 'accept' && action?.text !== 'reject') {
      throw new BadInputError(`'tcp-request content ${action?.text ?? ''}' is not supported by haplab`, where(ctx, action ?? kind), 'write tcp-request content accept|reject [if|unless COND]');
    }
    const { head, condition } = splitCondition(args.slice(2), ctx, `'tcp-request content ${action.text}' condition`);
    noMoreArgs(head, 0, `tcp-request content ${action.text}`, ctx);
    tcp.content.push({ action: action.text, condition, where: where(ctx, keyword) });
    return;
  }
  throw new BadInputError(`'tcp-request ${kind?.text ?? ''}' is not supported by haplab`, where(ctx, kind ?? keyword), 'haplab supports tcp-request inspect-delay T and tcp-request content accept|reject [if|unless COND]');
}
