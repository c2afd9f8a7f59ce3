/**
 * `haplab proxy` as a command: -c validates a haproxy.cfg like `haproxy -c` (one error line,
 * exit 2), an unreadable file is named, and a running proxy closes cleanly on SIGTERM.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerProxyCommand } from '../../src/cli/proxy.js';
import { reservePort, waitForPort } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'haplab-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function run(args: string[], during?: () => Promise<void>) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  const program = new Command().exitOverride();
  registerProxyCommand(program);
  const done = program.parseAsync(['node', 'haplab', 'proxy', ...args]);
  await during?.();
  await done;
  const code = process.exitCode;
  vi.restoreAllMocks();
  return { code, stdout: out.join(''), stderr: err.join('') };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('haplab proxy', () => {
  it('-c says the configuration is valid, like haproxy -c', async () => {
    const path = file('good.cfg', 'defaults\n    mode http\nfrontend f\n    bind 127.0.0.1:8080\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n');
    const r = await run(['-f', path, '-c']);
    expect(r.stdout).toBe('Configuration file is valid\n');
    expect(r.code).toBe(0);
  });

  it('-c refuses a file with nothing to listen on, as haproxy -c does ("no listener")', async () => {
    const path = file('no-listener.cfg', 'defaults\n    mode http\nbackend b\n    server s 127.0.0.1:1\n');
    const r = await run(['-f', path, '-c']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(`haplab: ${path}: configuration has no error but will not start (no listener): no frontend or listen section has a bind line — add e.g. \`frontend web\` with \`bind *:8080\` and a default_backend`);
  });

  it('-c prints the one error line and exits 2', async () => {
    const path = file('bad.cfg', 'defaults\n    mode http\nbackend b\n    server s 127.0.0.1:1 weight 999\n');
    const r = await run(['-f', path, '-c']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`haplab: ${path}:4:33: weight of server is not within 0 and 256 (999) — write a weight from 0 to 256\n`);
  });

  it('says which file it cannot read', async () => {
    const r = await run(['-f', join(dir, 'missing.cfg'), '-c']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\.cfg: cannot read configuration file \(ENOENT\)/);
  });

  it('runs until SIGTERM, then closes cleanly', async () => {
    const port = await reservePort();
    const path = file('run.cfg', `frontend f\n    bind 127.0.0.1:${port}\n    default_backend b\nbackend b\n    server s 127.0.0.1:1\n`);
    const r = await run(['-f', path], async () => {
      // Running means listening: SIGTERM once the port answers, not after a guessed delay.
      await waitForPort(port, 30_000);
      process.emit('SIGTERM');
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`frontend 'f' listening on 127.0.0.1:${port}`);
  });
});
