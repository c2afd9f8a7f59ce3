/** What every section keyword parser gets, and the checks they share. */
import { BadInputError } from '../../errors.js';
import type { AclParseContext } from '../acl/parse.js';
import type { ConfigWarning, ProxySection, SourceRef } from './model.js';
import type { Word } from './tokenize.js';

export interface SectionContext {
  file: string;
  line: number;
  section: ProxySection;
  /** A `defaults` section without a name cannot hold ACLs or http-request rules. */
  anonymousDefaults: boolean;
  warnings: ConfigWarning[];
}

export type Needs = 'frontend' | 'backend' | 'any';

export interface KeywordRule {
  needs: Needs;
  inDefaults: boolean | 'named';
  /** Outside its capability: error (like `server`) rather than a warning. */
  strict?: boolean;
  /**
   * Outside its capability HAProxy warns that it ignores the line, yet still parses it (and
   * for use_backend/default_backend, resolves the target): a bad argument is still an error.
   */
  parsedWhenIgnored?: boolean;
  parse(args: readonly Word[], ctx: SectionContext, keyword: Word): void;
}

export function where(ctx: SectionContext, word?: Word): SourceRef {
  return { file: ctx.file, line: ctx.line, column: word?.column };
}

export function aclContext(ctx: SectionContext): AclParseContext {
  return { file: ctx.file, line: ctx.line, warn: (message, at) => ctx.warnings.push({ message, where: at }) };
}

export function noMoreArgs(args: readonly Word[], from: number, keyword: string, ctx: SectionContext): void {
  const extra = args[from];
  if (extra) {
    throw new BadInputError(`'${keyword}' takes no argument here (got '${extra.text}')`, where(ctx, extra), `remove '${extra.text}'`);
  }
}

/** False (with HAProxy's warning) when the section lacks the capability the keyword needs. */
export function capable(ctx: SectionContext, needs: Needs, keyword: string, word: Word, strict = false): boolean {
  const { section } = ctx;
  if (needs === 'any' || section.kind === 'defaults' || section.capabilities[needs]) return true;
  const lacking = needs === 'frontend' ? 'frontend' : 'backend';
  if (strict) {
    throw new BadInputError(
      `'${keyword}' not allowed because ${section.kind} '${section.name}' has no ${lacking} capability`,
      where(ctx, word),
      `move it to a ${needs === 'backend' ? 'backend or listen' : 'frontend or listen'} section`,
    );
  }
  ctx.warnings.push({ message: `'${keyword}' ignored because ${section.kind} '${section.name}' has no ${lacking} capability`, where: where(ctx, word) });
  return false;
}
