/**
 * Where a command's text goes: the conventions scripts rely on (README.md, "In scripts").
 *
 * - `--json` or `--json -`: the JSON alone on stdout; everything else (progress, the report
 *   as text, notes, the lines `up` and `down` print) on stderr, so `haplab verify DIR --json
 *   | jq` reads JSON and nothing but JSON.
 * - `--json FILE`: the JSON written to FILE; text on stdout as usual.
 * - `--quiet`: only the verdict line, on stdout (on stderr when the JSON has stdout); no
 *   progress and no report text. Errors are one line on stderr whatever the flags
 *   (run-command.ts).
 *
 * main.ts sets the mode once from the command's flags before its action runs; commands write
 * through `say`, `sayVerdict` and `writeJsonOutput` and never choose a stream themselves.
 */
import { writeFile } from 'node:fs/promises';
import { ListrLogger, ProcessOutput, type ListrLogLevels } from 'listr2';

/** `--json [file]` as commander hands it over: absent, bare (true), `-`, or a file name. */
export type JsonFlag = string | boolean | undefined;

export const JSON_OPTION = '--json [file]';
export const JSON_OPTION_HELP = 'JSON to FILE; bare or "-": JSON alone on stdout, all other text on stderr';
export const QUIET_OPTION = '--quiet';
export const QUIET_OPTION_HELP = 'print only the verdict line';

export interface OutputFlags {
  json?: JsonFlag;
  quiet?: boolean;
}

let jsonHasStdout = false;
let quiet = false;

export function jsonGoesToStdout(flag: JsonFlag): boolean {
  return flag === true || flag === '-';
}

/** Called once per run, before the command prints anything (main.ts's preAction hook). */
export function configureOutput(flags: OutputFlags): void {
  jsonHasStdout = jsonGoesToStdout(flags.json);
  quiet = flags.quiet === true;
}

/** The stream text for people goes to: stdout, unless the JSON has it. */
function textStream(): NodeJS.WriteStream {
  return jsonHasStdout ? process.stderr : process.stdout;
}

/** Text for people (progress, the report, notes); dropped under --quiet. */
export function say(text: string): void {
  if (!quiet) textStream().write(text);
}

/** Colour only for a person at a terminal that gets the text, and never with NO_COLOR (no-color.org). */
export function textInColour(): boolean {
  return Boolean(textStream().isTTY) && !process.env.NO_COLOR;
}

/**
 * The width of the terminal the text goes to. A pipe or a log has none: there `COLUMNS`
 * (a whole number, as shells export it) decides, else the fallback.
 */
export function textWidth(fallback: number): number {
  const stream = textStream();
  if (stream.isTTY && stream.columns) return stream.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns >= 20 ? columns : fallback;
}

/** Progress of a command whose stdout is its result (verify): on stderr, dropped under --quiet. */
export function sayProgress(text: string): void {
  if (!quiet) process.stderr.write(text);
}

/**
 * The one line --quiet prints. Without --quiet the full text already carries the verdict,
 * so nothing more is written.
 */
export function sayVerdict(line: string): void {
  if (quiet) textStream().write(`${line}\n`);
}

/** Writes JSON to stdout or to the file the flag names; returns the file, if one was written. */
export async function writeJsonOutput(flag: JsonFlag, json: string): Promise<string | undefined> {
  if (flag === undefined || flag === false) return undefined;
  if (jsonGoesToStdout(flag)) {
    await new Promise<void>((resolve) => process.stdout.write(json, () => resolve()));
    return undefined;
  }
  await writeFile(flag as string, json, 'utf8');
  return flag as string;
}

/**
 * Listr options that follow the same rules: silent under --quiet, and when the JSON has
 * stdout the plain line-by-line renderer on stderr (the animated one would draw on stdout).
 */
export function progressRendering(): {
  silentRendererCondition: () => boolean;
  fallbackRendererCondition: () => boolean;
  fallbackRendererOptions: { logger?: ListrLogger<ListrLogLevels> };
} {
  return {
    silentRendererCondition: () => quiet,
    // listr2 itself falls back when stdout is not a terminal.
    fallbackRendererCondition: () => jsonHasStdout,
    // The progress lines all go to one stream, a failed step's included: stderr keeps the one
    // `haplab: …` line that says what failed and how to fix it (main.ts prints it).
    fallbackRendererOptions: { logger: new ListrLogger<ListrLogLevels>({ processOutput: jsonHasStdout ? new ProcessOutput(process.stderr, process.stderr) : new ProcessOutput(process.stdout, process.stdout) }) },
  };
}
