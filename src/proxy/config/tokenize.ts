/**
 * Cuts one haproxy.cfg line into words the way HAProxy's parse_line() does
 * (doc/configuration.txt §2.2), so that a config both programs read means the same:
 *   - an unprotected '#' ends the line;
 *   - single quotes protect everything, nothing inside is interpreted;
 *   - double quotes protect spaces, '#' and "'", and expand $VAR / ${VAR} / ${VAR-default};
 *   - a backslash outside single quotes escapes space, '\', '#', quotes, '$' (inside
 *     double quotes), and gives \t \n \r \xNN; before any other character it stays literal,
 *     which is why regexes like `\.` survive unquoted;
 *   - a CR or LF ends the line, as in HAProxy.
 */
import { BadInputError } from '../../errors.js';

export interface Word {
  text: string;
  /** 1-based column where the word starts in the raw line. */
  column: number;
  /** 1-based column just past its last raw character (quotes and escapes included): raw.slice(column - 1, end - 1) is the word as written. */
  end: number;
}

export interface LinePosition {
  file: string;
  line: number;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const HEX = /^[0-9a-fA-F]{2}$/;

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\v' || ch === '\f';
}

export function tokenizeLine(raw: string, at: LinePosition, env: Environment = process.env): Word[] {
  const words: Word[] = [];
  let current = '';
  let started = false; // a word exists even when empty, once a quote opened it
  let startColumn = 0;
  let quoteKind: '"' | "'" | undefined;
  let quoteColumn = 0;

  const begin = (i: number) => {
    if (!started) {
      started = true;
      startColumn = i + 1;
    }
  };
  const finish = (endIndex: number) => {
    if (started) words.push({ text: current, column: startColumn, end: endIndex + 1 });
    current = '';
    started = false;
  };

  let i = 0;
  while (i < raw.length) {
    const ch = raw[i]!;
    if (ch === '\n' || ch === '\r') break;
    if (ch === '#' && !quoteKind) break;

    if (ch === '"' && quoteKind !== "'") {
      begin(i);
      if (quoteKind === '"') quoteKind = undefined;
      else {
        quoteKind = '"';
        quoteColumn = i + 1;
      }
      i++;
      continue;
    }
    if (ch === "'" && quoteKind !== '"') {
      begin(i);
      if (quoteKind === "'") quoteKind = undefined;
      else {
        quoteKind = "'";
        quoteColumn = i + 1;
      }
      i++;
      continue;
    }
    if (ch === '\\' && quoteKind !== "'") {
      begin(i);
      const next = raw[i + 1];
      switch (next) {
        case ' ':
        case '\\':
        case '#':
        case "'":
        case '"':
          current += next;
          i += 2;
          continue;
        case 't':
          current += '\t';
          i += 2;
          continue;
        case 'n':
          current += '\n';
          i += 2;
          continue;
        case 'r':
          current += '\r';
          i += 2;
          continue;
        case '$':
          if (quoteKind === '"') {
            current += '$';
            i += 2;
          } else {
            current += '\\';
            i += 1;
          }
          continue;
        case 'x': {
          const hex = raw.slice(i + 2, i + 4);
          if (!HEX.test(hex)) {
            throw new BadInputError(
              'truncated or invalid hexadecimal sequence',
              { file: at.file, line: at.line, column: i + 1 },
              'write \\xNN with two hexadecimal digits, or \\\\x for a literal backslash',
            );
          }
          current += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          continue;
        }
        default:
          // Not an escape sequence: HAProxy keeps the backslash (regexes rely on it).
          current += '\\';
          i += 1;
          continue;
      }
    }
    if (isSpace(ch) && !quoteKind) {
      finish(i);
      while (i < raw.length && isSpace(raw[i]!)) i++;
      continue;
    }
    if (ch === '$' && quoteKind === '"') {
      begin(i);
      i = expandVariable(raw, i, at, env, (value) => {
        current += value;
      });
      continue;
    }
    begin(i);
    current += ch;
    i++;
  }

  if (quoteKind) {
    throw new BadInputError(
      `unmatched ${quoteKind === '"' ? 'double' : 'single'} quote`,
      { file: at.file, line: at.line, column: quoteColumn },
      `close the quote on the same line, or escape it as \\${quoteKind}`,
    );
  }
  finish(i);
  return words;
}

/** Expands `$NAME`, `${NAME}` or `${NAME-default}` starting at raw[start] === '$'; returns the next index. */
function expandVariable(
  raw: string,
  start: number,
  at: LinePosition,
  env: Environment,
  emit: (value: string) => void,
): number {
  let i = start + 1;
  const braced = raw[i] === '{';
  if (braced) i++;
  const nameStart = i;
  if (!/[A-Za-z_.]/.test(raw[i] ?? '')) {
    throw new BadInputError(
      'forbidden first character in environment variable name',
      { file: at.file, line: at.line, column: i + 1 },
      'variable names start with a letter or an underscore; write \\$ for a literal dollar inside double quotes',
    );
  }
  if (raw[i] === '.') i++;
  while (i < raw.length && /[A-Za-z0-9_]/.test(raw[i]!)) i++;
  const name = raw.slice(nameStart, i);
  let value = name.startsWith('.') ? pseudoVariable(name, at) : env[name];
  if (braced) {
    if (raw[i] === '-') {
      const close = raw.indexOf('}', i);
      if (close < 0) throw unmatchedBrace(at, start);
      if (value === undefined) value = raw.slice(i + 1, close);
      i = close;
    }
    if (raw[i] !== '}') throw unmatchedBrace(at, start);
    i++;
  }
  if (value !== undefined) emit(value);
  return i;
}

function pseudoVariable(name: string, at: LinePosition): string {
  if (name === '.LINE') return String(at.line);
  if (name === '.FILE') return at.file;
  throw new BadInputError(`unsupported internal variable '${name}'`, { file: at.file, line: at.line }, 'haplab knows $.LINE and $.FILE');
}

function unmatchedBrace(at: LinePosition, dollarIndex: number): BadInputError {
  return new BadInputError(
    'unmatched brace in environment variable name',
    { file: at.file, line: at.line, column: dollarIndex + 2 },
    'close it: ${NAME} or ${NAME-default}',
  );
}
