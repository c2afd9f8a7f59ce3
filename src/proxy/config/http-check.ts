/**
 * `http-check expect [!] status CODES` (HAProxy 2.6 src/tcpcheck.c): a comma-separated list
 * of codes and ranges the check's status must be in (or, with `!`, out of). The other
 * `http-check` forms (send, connect, expect string/rstatus…) are refused by name.
 */
import { BadInputError } from '../../errors.js';
import { where, type SectionContext } from './section-context.js';
import type { Word } from './tokenize.js';

export function parseHttpCheck(args: readonly Word[], ctx: SectionContext, keyword: Word): void {
  const [kind, ...rest] = args;
  if (kind?.text !== 'expect') throw new BadInputError(`'http-check ${kind?.text ?? ''}' is not supported by haplab`, where(ctx, kind ?? keyword), 'haplab runs http-check expect [!] status CODES');
  let k = 0;
  const negate = rest[0]?.text === '!';
  if (negate) k++;
  const match = rest[k];
  const codes = rest[k + 1];
  if (match?.text !== 'status') throw new BadInputError(`'http-check expect ${match?.text ?? ''}' is not supported by haplab`, where(ctx, match ?? kind), 'haplab runs http-check expect [!] status CODES');
  if (!codes) throw new BadInputError("http-check expect status: missing status code", where(ctx, match), 'write e.g. http-check expect status 200');
  if (rest[k + 2]) throw new BadInputError(`'http-check expect status' takes one list of codes (got '${rest[k + 2]!.text}')`, where(ctx, rest[k + 2]), 'write codes and ranges separated by commas, e.g. 200,301-302');
  const ranges: [number, number][] = codes.text.split(',').map((part) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new BadInputError(`invalid status '${part}' in 'http-check expect status'`, where(ctx, codes), 'write codes and ranges separated by commas, e.g. 200,301-302');
    return [Number(m[1]), Number(m[2] ?? m[1])];
  });
  ctx.section.options.httpCheckExpect = { negate, ranges, where: where(ctx, keyword) };
}

/** Whether a check's response status passes. */
export function checkStatusPasses(status: number, expect: { negate: boolean; ranges: readonly [number, number][] } | undefined): boolean {
  if (!expect) return status >= 200 && status < 400;
  const inList = expect.ranges.some(([lo, hi]) => status >= lo && status <= hi);
  return inList !== expect.negate;
}
