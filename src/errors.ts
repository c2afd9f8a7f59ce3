/**
 * Every failure a user can meet is one of these, so the CLI can print one line and
 * exit with the code the contract promises (README.md):
 *   1 a check failed · 2 bad input · 3 environment.
 */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  badInput: 2,
  environment: 3,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Where bad input was found: a file position, or a command-line flag. */
export interface Where {
  file?: string;
  line?: number;
  column?: number;
  flag?: string;
}

export function formatWhere(where: Where): string {
  if (where.flag) return `flag ${where.flag}`;
  if (!where.file) return '';
  let s = where.file;
  if (where.line !== undefined) s += `:${where.line}`;
  if (where.line !== undefined && where.column !== undefined) s += `:${where.column}`;
  return s;
}

export class HaplabError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly where: Where = {},
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The one line the CLI prints: `where: what — how to fix`. */
  oneLine(): string {
    const at = formatWhere(this.where);
    const head = at ? `${at}: ${this.message}` : this.message;
    return this.hint ? `${head} — ${this.hint}` : head;
  }
}

/** A spec, config or flag the user gave is wrong (exit 2). */
export class BadInputError extends HaplabError {
  constructor(message: string, where: Where = {}, hint?: string) {
    super(message, ExitCode.badInput, where, hint);
  }
}

/** The machine is not ready: no engine, port taken, image missing (exit 3). */
export class EnvironmentError extends HaplabError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.environment, {}, hint);
  }
}
