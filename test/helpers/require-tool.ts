/**
 * The one way a test depends on something the machine may lack (HAProxy, Flask, tmux, a
 * Docker engine, haplab's build, /proc): describeWithTool / itWithTool, or requireHere
 * inside a test for a condition only found at run time. Where it is missing, the tests
 * skip LOUDLY (a warning names them) on a developer's machine, and FAIL in CI (CI=true),
 * where .ci/run must have installed it. No test skips any other way.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it, type TestContext, type TestFunction } from 'vitest';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

/** Something tests need; `problem()` is undefined when it is there. */
export interface Tool {
  readonly name: string;
  problem(): string | undefined;
}

function cached(name: string, find: () => string | undefined): Tool {
  let found: { problem: string | undefined } | undefined;
  return {
    name,
    problem: () => (found ??= { problem: find() }).problem,
  };
}

/** A program that must run: `command args` exits 0. */
export function commandTool(name: string, command: string, args: string[]): Tool {
  return cached(name, () => {
    try {
      execFileSync(command, args, { stdio: 'ignore', timeout: 15_000 });
      return undefined;
    } catch {
      return `\`${command} ${args.join(' ')}\` failed`;
    }
  });
}

/** A file that must exist; `hint` says how it comes to be. */
export function fileTool(name: string, path: string | URL, hint: string): Tool {
  return cached(name, () => (existsSync(path) ? undefined : `${path instanceof URL ? path.pathname : path} is missing (${hint})`));
}

/** Something found out elsewhere (an engine that answers, images that exist): its problem, or undefined. */
export function knownTool(name: string, problem: string | undefined): Tool {
  return { name, problem: () => problem };
}

/** Debian's HAProxy 2.6, the reference every parity test compares against. */
export const HAPROXY_BIN = '/usr/sbin/haproxy';
export const HAPROXY = commandTool('HAProxy 2.6', HAPROXY_BIN, ['-v']);
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
export const PYTHON3 = commandTool('python3', PYTHON, ['--version']);
export const FLASK = commandTool('Flask', '/usr/bin/python3', ['-c', 'import flask']);
export const WAITRESS = commandTool('waitress', '/usr/bin/python3', ['-c', 'import waitress']);
export const TMUX = commandTool('tmux', 'tmux', ['-V']);
/** The replicas, the TypeScript proxy and the CLI run from dist/. */
export const DIST = cached("haplab's build (dist/)", () => {
  const missing = ['dist/src/proxy/main.js', 'dist/src/runtime/local/replica-main.js', 'dist/src/runtime/local/index.js', 'dist/src/cli/main.js']
    .filter((f) => !existsSync(new URL(`../../${f}`, import.meta.url)));
  return missing.length === 0 ? undefined : `${missing.join(', ')} missing (npm test builds first; run npm run build)`;
});
export const PROCFS = fileTool('/proc (Linux)', '/proc/self/fd', 'counting open sockets needs Linux procfs');

function missing(tools: Tool | readonly Tool[]): string | undefined {
  const problems = (Array.isArray(tools) ? tools : [tools as Tool])
    .map((t) => [t.name, t.problem()] as const)
    .filter(([, p]) => p !== undefined)
    .map(([n, p]) => `${n}: ${p}`);
  return problems.length === 0 ? undefined : problems.join('; ');
}

function ciError(what: string, problem: string): Error {
  return new Error(`${what}: ${problem} — in CI this fails instead of skipping (.ci/run must provide it)`);
}

function warnSkipped(what: string, problem: string): void {
  console.warn(`\n!!! SKIPPING ${what}: ${problem}. These tests did not run.\n`);
}

/** describe() when every tool is there; else one failing test in CI, a loud skip elsewhere. */
export function describeWithTool(tools: Tool | readonly Tool[], name: string, body: () => void): void {
  const problem = missing(tools);
  if (problem === undefined) {
    describe(name, body);
  } else if (inCI) {
    describe(name, () => {
      it('has what it needs', () => {
        throw ciError(name, problem);
      });
    });
  } else {
    warnSkipped(name, problem);
    describe.skip(name, body);
  }
}

/** it() when every tool is there; else a failing test in CI, a loud skip elsewhere. */
export function itWithTool(tools: Tool | readonly Tool[], name: string, fn: TestFunction, timeout?: number): void {
  const problem = missing(tools);
  if (problem === undefined) {
    it(name, fn, timeout);
  } else if (inCI) {
    it(name, () => {
      throw ciError(name, problem);
    });
  } else {
    warnSkipped(name, problem);
    it.skip(name, fn, timeout);
  }
}

/**
 * Inside a running test, for what only shows at run time (ports someone holds): with a
 * `problem` the test fails in CI and is skipped loudly elsewhere.
 */
export function requireHere(context: TestContext, what: string, problem: string | undefined): void {
  if (problem === undefined) return;
  if (inCI) throw ciError(what, problem);
  warnSkipped(what, problem);
  context.skip(problem);
}
