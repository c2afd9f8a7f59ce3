/** The report's width off a terminal (a pipe, a log, CI): COLUMNS when it is a usable number, else the fallback. */
import { afterEach, describe, expect, it } from 'vitest';
import { configureOutput, textWidth } from '../../src/cli/output.js';

describe('textWidth off a terminal', () => {
  const saved = process.env.COLUMNS;
  afterEach(() => {
    if (saved === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved;
  });

  it('takes COLUMNS when stdout is not a terminal', () => {
    configureOutput({});
    expect(process.stdout.isTTY).toBeFalsy();
    process.env.COLUMNS = '240';
    expect(textWidth(100)).toBe(240);
  });

  it('falls back when COLUMNS is absent, not a whole number, or too narrow for a table', () => {
    configureOutput({});
    for (const value of [undefined, '', 'wide', '80.5', '5']) {
      if (value === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = value;
      expect(textWidth(100), String(value)).toBe(100);
    }
  });
});
