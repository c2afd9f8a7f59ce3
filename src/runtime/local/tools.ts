/**
 * What this machine offers the local runtime: a Python whose Flask imports, HAProxy on
 * PATH, and haplab's own compiled entry points (TypeScript proxy, Node app replicas).
 */
import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { EnvironmentError } from '../../errors.js';
import { distDir } from '../../paths.js';

const run = promisify(execFile);

export interface Found {
  /** Absolute path of the program, when found. */
  path?: string;
  /** Why it is not used, said in the lab's notes. */
  problem?: string;
}

export interface FlaskPython extends Found {
  /**
   * Why waitress does not import in that Python, when it does not: the generated app.py
   * then falls back to Flask's development server, which closes every connection after one
   * answer (so no connection carries two requests).
   */
  noWaitress?: string;
}

/** Prints sys.executable, then "waitress" or why it does not import. */
const PROBE_PYTHON = [
  'import sys, flask',
  'try:',
  '    import waitress',
  '    found = "waitress"',
  'except ImportError as e:',
  '    found = str(e)',
  'print(sys.executable)',
  'print(found)',
].join('\n');

/**
 * A Python that imports Flask. Debian's /usr/bin/python3 first: a python3 earlier on PATH
 * (pyenv, a venv) may lack Flask. The interpreter's own sys.executable is returned so the
 * apps do not go through a shim that depends on the caller's environment. Whether waitress
 * imports there too is said, because app.py serves with it when it does.
 */
export async function findFlaskPython(): Promise<FlaskPython> {
  const candidates = [...new Set(['/usr/bin/python3', 'python3'])];
  const problems: string[] = [];
  for (const candidate of candidates) {
    try {
      const { stdout } = await run(candidate, ['-c', PROBE_PYTHON], { timeout: 15_000 });
      const [path, waitress] = stdout.trim().split('\n').map((l) => l.trim());
      if (path) return waitress === 'waitress' ? { path } : { path, noWaitress: waitress || 'waitress does not import' };
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      problems.push(`${candidate}: ${e.code === 'ENOENT' ? 'not found' : (e.stderr?.trim().split('\n').pop() ?? e.message)}`);
    }
  }
  return { problem: `Flask does not import (${problems.join('; ')})` };
}

/** `haproxy` on PATH, as a shell would find it. */
export async function findOnPath(program: string, pathVar = process.env.PATH ?? ''): Promise<Found> {
  for (const dir of pathVar.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    try {
      await access(candidate, constants.X_OK);
      return { path: candidate };
    } catch {
      // not in this directory
    }
  }
  return { problem: `${program} is not on PATH` };
}

/** The compiled entry points the local runtime runs with this very Node. */
export const tsProxyEntry = join(distDir, 'src', 'proxy', 'main.js');
export const replicaEntry = join(distDir, 'src', 'runtime', 'local', 'replica-main.js');

export function requireCompiled(entry: string, what: string): string {
  if (!existsSync(entry)) {
    throw new EnvironmentError(`${what} is not compiled (${entry} is missing)`, 'run `npm run build` in the haplab package');
  }
  return entry;
}

export interface LocalTools {
  python: FlaskPython;
  haproxy: Found;
}

export async function detectTools(): Promise<LocalTools> {
  const [python, haproxy] = await Promise.all([findFlaskPython(), findOnPath('haproxy')]);
  return { python, haproxy };
}
