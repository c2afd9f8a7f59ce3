/**
 * Loads a lab spec from YAML. Every error names file:line:column: YAML syntax errors from
 * the parser's own positions, validation errors from the node the bad value came from.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isNode, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { BadInputError } from '../errors.js';
import type { LabSpec } from './types.js';
import { validateSpec, type SpecProblem } from './validate.js';

export type SpecPath = (string | number)[];

/** A lab spec is a page of YAML; one larger than this is a mistake, refused before it is read. */
export const MAX_SPEC_BYTES = 1024 * 1024;

export async function loadSpecFile(file: string): Promise<LabSpec> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new BadInputError('a lab spec must be a file, not a directory or device', { file });
    if (info.size > MAX_SPEC_BYTES) {
      throw new BadInputError(`lab spec is ${(info.size / 1024 / 1024).toFixed(1)} MiB, above the limit of ${MAX_SPEC_BYTES / 1024 / 1024} MiB`, { file }, 'a lab spec is a page of YAML; shorten the long strings in it');
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    throw new BadInputError(`cannot read lab spec: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file });
  }
  return parseSpec(text, file);
}

/** The spec file every lab directory holds (written by `haplab new`). */
export const LAB_SPEC_FILE = 'lab.yaml';

/**
 * Checks that `dir` is a lab directory before any runtime is asked about it: a path that
 * does not exist, a file, a directory without lab.yaml, or a lab.yaml that is broken is
 * bad input named here, rather than "no lab is up" from a runtime that looked for nothing.
 */
export async function assertLabDirectory(dir: string, shown: string = dir): Promise<void> {
  const info = await stat(dir).catch((err: unknown) => err as NodeJS.ErrnoException);
  const make = `make one with \`haplab new EPISODE --dir ${shown}\``;
  if (info instanceof Error) {
    if (info.code === 'ENOENT' || info.code === 'ENOTDIR') throw new BadInputError(`no lab directory at ${dir}: the path does not exist`, {}, make);
    throw new BadInputError(`cannot read the lab directory ${dir}: ${info.code ?? info.message}`);
  }
  if (!info.isDirectory()) throw new BadInputError(`${dir} is a file, not a lab directory`, {}, `give the directory \`haplab new\` wrote, or ${make}`);
  const spec = await stat(join(dir, LAB_SPEC_FILE)).catch(() => undefined);
  if (!spec) throw new BadInputError(`${dir} holds no ${LAB_SPEC_FILE}: it is not a haplab lab directory`, {}, make);
}

/** The spec of the lab in `dir`, after assertLabDirectory's checks. */
export async function loadLabDirectorySpec(dir: string, shown: string = dir): Promise<LabSpec> {
  await assertLabDirectory(dir, shown);
  return loadSpecFile(join(dir, LAB_SPEC_FILE));
}

export function parseSpec(text: string, file: string): LabSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = lineCounter.linePos(syntax.pos[0]);
    const what = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new BadInputError(`YAML syntax error: ${what}`, { file, line: pos.line, column: pos.col }, 'fix the YAML at that position');
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // yaml throws plain ReferenceErrors for an alias without anchor and for alias bombs.
    const { line, column } = aliasPosition(doc, lineCounter);
    throw new BadInputError(`YAML alias error: ${(err as Error).message}`, { file, line, column }, 'define each &anchor before its *alias, and do not nest aliases to multiply data');
  }
  const problems = validateSpec(raw);
  const first = problems[0];
  if (first) throw problemError(first, doc, lineCounter, file);
  return raw as LabSpec;
}

function problemError(problem: SpecProblem, doc: Document, lineCounter: LineCounter, file: string): BadInputError {
  const { line, column } = positionOf(doc, lineCounter, problem.path);
  return new BadInputError(problem.message, { file, line, column }, problem.hint);
}

/** The position of the deepest node on `path` that exists (a missing key points at its parent). */
function positionOf(doc: Document, lineCounter: LineCounter, path: SpecPath): { line: number; column: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

/** Where the alias that broke toJS() is: the first unresolved one, else the first one. */
function aliasPosition(doc: Document, lineCounter: LineCounter): { line: number; column: number } {
  let first: number | undefined;
  let unresolved: number | undefined;
  visit(doc, {
    Alias(_, node) {
      first ??= node.range?.[0];
      if (!node.resolve(doc)) {
        unresolved = node.range?.[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  const at = unresolved ?? first;
  if (at === undefined) return { line: 1, column: 1 };
  const pos = lineCounter.linePos(at);
  return { line: pos.line, column: pos.col };
}
