/**
 * Runs the built CLI with a reader that goes away after the first line of stdout, as
 * `haplab … | head -1` does: the command's next write fails with EPIPE.
 */
import { spawn } from 'node:child_process';
import { cliPath } from './cli.js';

export interface ClosedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  firstLine: string;
  stderr: string;
}

export function runWithClosedStdout(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 180_000): Promise<ClosedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let firstLine = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      if (firstLine) return;
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        firstLine = out.slice(0, nl);
        // The reader is gone: the pipe's read end is closed, the next write gets EPIPE.
        child.stdout.destroy();
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, firstLine, stderr });
    });
  });
}
