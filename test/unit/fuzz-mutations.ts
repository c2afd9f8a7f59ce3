/**
 * Line mutations shared by the parser fuzzers (fuzz-config, fuzz-spec): a real input is
 * split into lines and each mutation deletes, duplicates, cuts or swaps a line, or puts a
 * token into one. How a token goes into a line depends on the format, so each fuzzer gives
 * its own `insert`/`replace`/`newline` edits, and may add kinds of its own (the YAML fuzzer
 * adds indent, dedent and value) that rewrite the chosen line.
 */
import fc from 'fast-check';

/**
 * One mutation; `at`, `pos` and `other` wrap around the line count or line length.
 * `Plain` and `WithToken` are a format's own kinds, without and with a token.
 */
export type LineMutation<Plain extends string = never, WithToken extends string = never> =
  | { kind: 'delete' | 'duplicate' | 'truncate' | Plain; at: number; pos: number }
  | { kind: 'swap'; at: number; other: number }
  | { kind: 'insert' | 'replace' | 'newline' | WithToken; at: number; pos: number; token: string };

/** The shared kinds first, then the format's own, each kind with the same chance within its group. */
export function lineMutation<Plain extends string = never, WithToken extends string = never>(
  token: fc.Arbitrary<string>,
  own: { plain?: readonly Plain[]; withToken?: readonly WithToken[] } = {},
): fc.Arbitrary<LineMutation<Plain, WithToken>> {
  const plainKinds: ('delete' | 'duplicate' | 'truncate' | Plain)[] = ['delete', 'duplicate', 'truncate', ...(own.plain ?? [])];
  const tokenKinds: ('insert' | 'replace' | 'newline' | WithToken)[] = ['insert', 'replace', 'newline', ...(own.withToken ?? [])];
  return fc.oneof(
    fc.record({ kind: fc.constantFrom(...plainKinds), at: fc.nat(), pos: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), other: fc.nat() }),
    fc.record({ kind: fc.constantFrom(...tokenKinds), at: fc.nat(), pos: fc.nat(), token }),
  );
}

/** How a format puts a token into its text, and how its own kinds rewrite a line. */
export interface LineEdits<Plain extends string = never, WithToken extends string = never> {
  /** `line` with `token` put in at `pos` (already wrapped into 0..line.length). */
  insert(line: string, pos: number, token: string): string;
  /** `line` with one of its parts replaced by `token`; `pos` is not wrapped. */
  replace(line: string, pos: number, token: string): string;
  /** A new line holding `token`, put before the chosen one; `pos` is not wrapped. */
  newline(pos: number, token: string): string;
  /** The chosen line after one of the format's own kinds. */
  own?(line: string, m: Extract<LineMutation<Plain, WithToken>, { pos: number }> & { kind: Plain | WithToken }): string;
}

/** Applies one mutation to a text's lines (an empty text mutates as one empty line). */
export function mutateLines<Plain extends string = never, WithToken extends string = never>(
  lines: readonly string[],
  m: LineMutation<Plain, WithToken>,
  edits: LineEdits<Plain, WithToken>,
): string[] {
  const out = lines.length ? [...lines] : [''];
  const i = m.at % out.length;
  const line = out[i]!;
  if ('other' in m) {
    const j = m.other % out.length;
    [out[i], out[j]] = [out[j]!, line];
    return out;
  }
  switch (m.kind) {
    case 'delete':
      out.splice(i, 1);
      break;
    case 'duplicate':
      out.splice(i, 0, line);
      break;
    case 'truncate':
      out[i] = line.slice(0, m.pos % (line.length + 1));
      break;
    case 'insert':
      out[i] = edits.insert(line, m.pos % (line.length + 1), tokenOf(m));
      break;
    case 'replace':
      out[i] = edits.replace(line, m.pos, tokenOf(m));
      break;
    case 'newline':
      out.splice(i, 0, edits.newline(m.pos, tokenOf(m)));
      break;
    default:
      if (!edits.own) throw new Error(`no edit for mutation kind ${m.kind}`);
      out[i] = edits.own(line, m as Parameters<NonNullable<LineEdits<Plain, WithToken>['own']>>[1]);
  }
  return out;
}

function tokenOf(m: object): string {
  if (!('token' in m) || typeof m.token !== 'string') throw new Error('a token mutation without a token');
  return m.token;
}
