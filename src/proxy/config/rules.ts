/** Rules: `acl`, `http-request`, `use_backend`, `default_backend` and their conditions. */
import { BadInputError } from '../../errors.js';
import { parseAclExpression, parseCondition } from '../acl/parse.js';
import type { Condition } from '../acl/types.js';
import { parseTrackAction } from '../stick-table/config.js';
import { aclContext, noMoreArgs, where, type SectionContext } from './section-context.js';
import type { Word } from './tokenize.js';
import { parseInteger } from './values.js';

/** Splits `[if|unless COND]` off the end of a rule; returns what precedes it and the condition. */
export function splitCondition(args: readonly Word[], ctx: SectionContext, ruleName: string): { head: readonly Word[]; condition?: Condition } {
  const index = args.findIndex((w) => w.text === 'if' || w.text === 'unless');
  if (index < 0) return { head: args };
  const polarity = args[index]!.text as 'if' | 'unless';
  const condition = parseCondition(polarity, args.slice(index + 1), ctx.section.acls, aclContext(ctx), ruleName);
  return { head: args.slice(0, index), condition };
}

/** Status codes HAProxy has a default error page for (deny without an errorfile). */
const DENY_STATUSES = new Set([200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504]);

export function parseHttpRequest(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const actionWord = args[0];
  if (actionWord?.text.startsWith('track-sc')) return parseHttpTrack(actionWord, args.slice(1), ctx, keyword);
  if (actionWord?.text === 'redirect') return parseHttpRedirect(actionWord, args.slice(1), ctx, keyword);
  if (actionWord?.text === 'set-header') return parseHttpSetHeader(actionWord, args.slice(1), ctx, keyword);
  if (!actionWord || (actionWord.text !== 'deny' && actionWord.text !== 'allow')) {
    throw new BadInputError(
      `http-request action '${actionWord?.text ?? ''}' is not supported by haplab`,
      where(ctx, actionWord ?? keyword),
      'haplab supports http-request deny [deny_status N], allow, track-scN src [table NAME], redirect scheme S [code N] and set-header NAME VALUE, each with if|unless COND',
    );
  }
  const action = actionWord.text;
  const { head, condition } = splitCondition(args.slice(1), ctx, `'http-request ${action}' condition`);
  let status = 403;
  for (let k = 0; k < head.length; k++) {
    const w = head[k]!;
    if (action === 'deny' && (w.text === 'deny_status' || w.text === 'status')) {
      const value = head[++k];
      const n = parseInteger(value, w.text, where(ctx));
      if (n < 200 || n > 599) throw new BadInputError(`Unexpected status code '${n}'`, where(ctx, value), 'use a status from 200 to 599');
      if (!DENY_STATUSES.has(n)) {
        throw new BadInputError(
          `status code '${n}' not handled by default with 'default-errorfiles' argument`,
          where(ctx, value),
          `use one of ${[...DENY_STATUSES].join(', ')}`,
        );
      }
      status = n;
    } else {
      throw new BadInputError(
        `'http-request ${action}' option '${w.text}' is not supported by haplab`,
        where(ctx, w),
        action === 'deny' ? 'write http-request deny [deny_status N] [if|unless COND]' : 'write http-request allow [if|unless COND]',
      );
    }
  }
  ctx.section.httpRequestRules.push({ action, status, condition, where: where(ctx, keyword) });
}

/** `http-request track-scN src [table NAME] [if|unless COND]` (src/proxy/stick-table). */
function parseHttpTrack(actionWord: Word, args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const { head, condition } = splitCondition(args, ctx, `'http-request ${actionWord.text}' condition`);
  const { action, used } = parseTrackAction(actionWord, head, ctx.section.name, (w) => where(ctx, w ?? actionWord));
  noMoreArgs(head, used, `http-request ${actionWord.text}`, ctx);
  ctx.section.httpRequestRules.push({ action: 'track-sc', status: 0, track: action, condition, where: where(ctx, keyword) });
}

const REDIRECT_CODES = new Set([301, 302, 303, 307, 308]);

/** `http-request redirect scheme SCHEME [code N] [if|unless COND]` (haplab: scheme redirects only). */
function parseHttpRedirect(actionWord: Word, args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const { head, condition } = splitCondition(args, ctx, "'http-request redirect' condition");
  if (head[0]?.text !== 'scheme' || !head[1]) {
    throw new BadInputError(`'http-request redirect ${head[0]?.text ?? ''}' is not supported by haplab`, where(ctx, head[0] ?? actionWord), 'write http-request redirect scheme https [code 301|302|303|307|308] [if|unless COND]');
  }
  let code = 302;
  let k = 2;
  if (head[k]?.text === 'code') {
    code = parseInteger(head[k + 1], 'code', where(ctx, head[k]));
    if (!REDIRECT_CODES.has(code)) throw new BadInputError(`'redirect': unsupported HTTP code '${code}'`, where(ctx, head[k + 1]), 'use 301, 302, 303, 307 or 308');
    k += 2;
  }
  noMoreArgs(head, k, 'http-request redirect scheme', ctx);
  ctx.section.httpRequestRules.push({ action: 'redirect', status: code, redirect: { scheme: head[1].text, code }, condition, where: where(ctx, keyword) });
}

/** `http-request set-header NAME VALUE [if|unless COND]`, VALUE literal (no %[…] expressions in haplab). */
function parseHttpSetHeader(actionWord: Word, args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const { head, condition } = splitCondition(args, ctx, "'http-request set-header' condition");
  const [name, value] = head;
  if (!name || !value) throw new BadInputError("'http-request set-header' expects a name and a value", where(ctx, actionWord), 'write http-request set-header X-Forwarded-Proto https');
  if (value.text.includes('%[')) throw new BadInputError(`log-format expressions ('${value.text}') are not supported by haplab`, where(ctx, value), 'write a literal value, with a condition: set-header X-Forwarded-Proto https if { ssl_fc }');
  noMoreArgs(head, 2, 'http-request set-header', ctx);
  ctx.section.httpRequestRules.push({ action: 'set-header', status: 0, header: { name: name.text, value: value.text }, condition, where: where(ctx, keyword) });
}

export function parseBackendName(word: Word | undefined, keyword: Word, ctx: SectionContext): string {
  if (!word || word.text === '') {
    throw new BadInputError(`'${keyword.text}' expects a backend name`, where(ctx, keyword), `write ${keyword.text} NAME`);
  }
  if (word.text.includes('%[')) {
    throw new BadInputError(`dynamic backend names ('${word.text}') are not supported by haplab`, where(ctx, word), 'name the backend literally');
  }
  return word.text;
}

/** `acl NAME FETCH [flags] PATTERNS…`: several lines with one name OR together. */
export function parseAcl(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const name = args[0];
  if (!name || !/^[A-Za-z0-9_.:-]+$/.test(name.text)) {
    throw new BadInputError(
      name ? `invalid character in ACL name '${name.text}'` : "'acl' expects a name and an expression",
      where(ctx, name ?? keyword),
      'ACL names use letters, digits, - _ . :',
    );
  }
  const expression = parseAclExpression(args.slice(1), name.text, aclContext(ctx));
  const existing = ctx.section.acls.get(name.text);
  // Several lines with one name OR together; copy so inherited ACLs stay untouched.
  ctx.section.acls.set(name.text, { name: name.text, expressions: [...(existing?.expressions ?? []), expression] });
}

export function parseUseBackend(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const backend = parseBackendName(args[0], keyword, ctx);
  const { head, condition } = splitCondition(args.slice(1), ctx, 'switching rule');
  noMoreArgs(head, 0, 'use_backend', ctx);
  ctx.section.switchingRules.push({ backend, condition, where: where(ctx, args[0]) });
}

export function parseDefaultBackend(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const name = parseBackendName(args[0], keyword, ctx);
  noMoreArgs(args, 1, 'default_backend', ctx);
  ctx.section.defaultBackend = { name, where: where(ctx, args[0]) };
}
