/**
 * haplab killed with SIGKILL in the middle of a local `up` leaves processes nobody waits
 * for. The registry (written before anything is spawned) and the environment markers of
 * the processes let a later `downAll()` / `down DIR` find and end every one of them.
 * The `up` runs in a child process — the built CLI (`haplab up DIR --runtime local`) where
 * it has that command, and always a small script calling the runtime — with its own
 * XDG_STATE_HOME, so this test never touches the user's real registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { writeLab } from '../../src/render/lab.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { defaultRegistryDir } from '../../src/runtime/local/options.js';
import { isPortFree } from '../../src/runtime/local/ports.js';
import { findByEnviron } from '../../src/runtime/local/procfs.js';
import { ENV_REGISTRY, readRun, registryFile, runFileInLab, type LocalRun } from '../../src/runtime/local/run-record.js';
import { readLabState } from '../../src/runtime/state.js';
import type { LabSpec } from '../../src/lab-schema/types.js';
import { cliPath, runCli } from '../helpers/cli.js';
import { labOnTestPorts } from '../helpers/ports.js';
import { DIST, itWithTool } from '../helpers/require-tool.js';

const root = mkdtempSync(join(tmpdir(), 'haplab-local-crash-'));
const stateHome = join(root, 'state');
const registryDir = defaultRegistryDir({ XDG_STATE_HOME: stateHome });
const runtimeModule = new URL('../../dist/src/runtime/local/index.js', import.meta.url).pathname;

afterAll(async () => {
  await createLocalRuntime({ registryDir }).downAll();
  rmSync(root, { recursive: true, force: true });
});

function startUp(how: 'script' | 'cli', dir: string): ChildProcess {
  const env = { ...process.env, XDG_STATE_HOME: stateHome };
  const args = how === 'cli'
    ? [cliPath, 'up', dir, '--runtime', 'local']
    : ['--input-type=module', '-e', `import { createLocalRuntime } from ${JSON.stringify(runtimeModule)}; await createLocalRuntime().up(${JSON.stringify(dir)});`];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  stderrOf.set(child, () => stderr);
  return child;
}

const stderrOf = new WeakMap<ChildProcess, () => string>();

/** Waits until the run record shows `n` processes spawned while `up` is still under way. */
async function waitForSpawned(dir: string, n: number, child: ChildProcess): Promise<LocalRun> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const run = await readRun(registryFile(registryDir, dir));
    if (run && run.processes.filter((p) => p.pid !== undefined).length >= n) {
      expect(run.phase).toBe('starting');
      return run;
    }
    if (child.exitCode !== null) throw new Error(`up exited (${child.exitCode}) before ${n} processes were spawned: ${stderrOf.get(child)?.()}`);
    if (Date.now() > deadline) throw new Error(`no ${n} processes spawned within 30 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The lab's live processes, as "pid pgid state cmdline" lines (readable when a test fails). */
const labProcesses = () =>
  findByEnviron((env) => env.get(ENV_REGISTRY) === registryDir).map((p) => {
    let cmd = '?';
    try {
      cmd = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      // gone meanwhile
    }
    return `${p.pid} pgid=${p.pgid} ${p.state} ${cmd}`;
  });

/**
 * Ports of the processes recorded as spawned when up was killed, still held. (Ports of
 * parts never started are left out: on a shared machine another lab may own them.)
 */
async function heldPorts(run: LocalRun): Promise<number[]> {
  const ports = run.processes.filter((p) => p.pid !== undefined).flatMap((p) => p.listens.map((l) => l.port));
  return (await Promise.all(ports.map(async (p) => ((await isPortFree(p)) ? undefined : p)))).filter((p): p is number => p !== undefined);
}

/** ep09 on ports reserved for this process, as in local-runtime.test.ts (shared machine). */
async function ep09(): Promise<LabSpec> {
  return labOnTestPorts(await loadEpisode('ep09'));
}

async function killMidUp(how: 'script' | 'cli', name: string): Promise<{ dir: string; run: LocalRun }> {
  const dir = join(root, name);
  await writeLab(await ep09(), dir);
  const child = startUp(how, dir);
  const run = await waitForSpawned(dir, 2, child);
  await killed(child);
  const atKill = (await readRun(registryFile(registryDir, dir))) ?? run;
  // Orphaned, but alive: the kill must not have taken the lab's processes with it.
  expect(labProcesses().length).toBeGreaterThan(0);
  return { dir, run: atKill };
}

describe('haplab SIGKILLed mid-up', () => {
  itWithTool(DIST, 'downAll() ends every process of the lab and frees its ports', async () => {
    const { dir, run } = await killMidUp('script', 'ep09-script');
    expect((await readLabState(dir))?.runtime).toBe('local');
    const removed = await createLocalRuntime({ registryDir }).downAll();
    expect(removed.labs).toEqual([run.lab]);
    expect(labProcesses()).toEqual([]);
    expect(await heldPorts(run)).toEqual([]);
    expect(await readLabState(dir)).toBeUndefined();
    expect(await readRun(registryFile(registryDir, dir))).toBeUndefined();
  });

  itWithTool(DIST, 'down DIR does the same from the lab directory alone', async () => {
    const { dir, run } = await killMidUp('script', 'ep09-down-dir');
    await createLocalRuntime({ registryDir }).down(dir);
    expect(labProcesses()).toEqual([]);
    expect(await heldPorts(run)).toEqual([]);
  });

  itWithTool(DIST, 'downAll() finds the processes by their environment even when every record is lost', async () => {
    const { dir, run } = await killMidUp('script', 'ep09-lost-records');
    rmSync(registryFile(registryDir, dir));
    rmSync(runFileInLab(dir));
    const removed = await createLocalRuntime({ registryDir }).downAll();
    expect(removed.labs).toEqual([run.lab]);
    expect(labProcesses()).toEqual([]);
    expect(await heldPorts(run)).toEqual([]);
  });

  itWithTool(DIST, 'through the CLI: haplab up DIR --runtime local, killed; then haplab down DIR', async () => {
    const { dir, run } = await killMidUp('cli', 'ep09-cli');
    // `down DIR` (not `down --all`, which would also take down Docker labs others run here).
    const result = await runCli(['down', dir], { env: { XDG_STATE_HOME: stateHome } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(`took down lab ${run.lab} (local processes)`);
    expect(labProcesses()).toEqual([]);
    expect(await heldPorts(run)).toEqual([]);
  });
});
