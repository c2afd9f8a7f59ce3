/** haproxy.cfg → typed model. */
import { readFile } from 'node:fs/promises';
import { BadInputError } from '../../errors.js';
import { parseConfig, type ParseOptions } from './parse.js';
import type { ProxyConfig } from './model.js';

export { parseConfig, type ParseOptions } from './parse.js';
export { tokenizeLine, type Word } from './tokenize.js';
export { checkStartable } from './startable.js';
export type * from './model.js';

/** Reads and parses a config file; errors name the file as the caller wrote it. */
export async function loadConfigFile(path: string, options: Omit<ParseOptions, 'file'> = {}): Promise<ProxyConfig> {
  let text: string;
  try {
    text = await readFile(path, 'latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadInputError(
      `cannot read configuration file (${code ?? (err as Error).message})`,
      { file: path },
      code === 'ENOENT' ? 'check the path given to -f' : 'check the file permissions',
    );
  }
  // Binary garbage is said to be what it is, not reported as a grammar error on line 1.
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const before = text.slice(0, nul).split('\n');
    throw new BadInputError(
      'this is not a text configuration file (it holds a NUL byte)',
      { file: path, line: before.length, column: before[before.length - 1]!.length + 1 },
      'give -f the haproxy.cfg, not a binary file',
    );
  }
  // HAProxy 2.6 refuses a file whose last line has no LF: it may have been cut short.
  if (text !== '' && !text.endsWith('\n')) {
    const lines = text.split('\n');
    throw new BadInputError(
      'missing LF on last line, file might have been truncated',
      { file: path, line: lines.length, column: lines[lines.length - 1]!.length + 1 },
      'end the file with a newline',
    );
  }
  return parseConfig(text, { ...options, file: path });
}
