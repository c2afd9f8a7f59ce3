/**
 * Tests that need a real tool (haproxy, Flask, a Docker engine) skip loudly where it is
 * missing — and fail in CI (CI=true), where .ci/run must have installed it.
 */
import { execFileSync } from 'node:child_process';

export const inCI = process.env.CI === 'true' || process.env.CI === '1';

export function toolAvailable(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Returns true when the tool is there; otherwise warns (locally) or throws (in CI). */
export function requireTool(name: string, command: string, args: string[]): boolean {
  if (toolAvailable(command, args)) return true;
  const message = `${name} is not available (${command} ${args.join(' ')} failed)`;
  if (inCI) throw new Error(`${message}: CI must install it (.ci/run)`);
  console.warn(`\n!!! SKIPPING: ${message}. These tests did not run.\n`);
  return false;
}
