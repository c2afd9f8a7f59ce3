/** haproxy.cfg → typed model. */
import { readFile } from 'node:fs/promises';
import { BadInputError } from '../../errors.js';
import { parseConfig, type ParseOptions } from './parse.js';
import type { ProxyConfig } from './model.js';

export { parseConfig, type ParseOptions } from './parse.js';
export { tokenizeLine, type Word } from './tokenize.js';
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
