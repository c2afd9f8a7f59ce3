/**
 * Shared by check-catalogue and check-mutations: the CLI as the tests run it, labs moved off
 * the catalogue's host ports, and the reports `haplab check/verify --json` write, read back.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Check, Report } from '../../src/verify/report/types.js';
import { loadEpisode } from '../../src/lab-schema/catalogue.js';
import { writeLab } from '../../src/render/lab.js';
import { runCli, type CliResult } from '../helpers/cli.js';

/**
 * Host-port shift of the mutation labs: not the catalogue's own ports (someone may run
 * `haplab check ep09` by hand), and not docker-helpers' E2E_PORT_SHIFT (20 000), so that
 * another engineer's docker e2e run on the same machine cannot take our ports, nor we theirs.
 * Every port stays below Linux's ephemeral range (32768).
 */
export const MUTATION_PORT_SHIFT = 22_000;

/** The CLI's last lines, for a failure message that says what happened. */
export function tail(result: CliResult, lines = 40): string {
  const text = `${result.stdout}\n--- stderr ---\n${result.stderr}`;
  return text.split('\n').slice(-lines).join('\n');
}

/** `haplab …`, failing with the command's own output when it could not even run. */
export async function haplab(args: string[], timeoutMs = 120_000): Promise<CliResult> {
  // Wide enough that every check's row is one line: the tests read verdicts off the table.
  const result = await runCli(args, { timeoutMs, env: { COLUMNS: '400' } });
  if (result.signal) throw new Error(`haplab ${args.join(' ')} was killed (${result.signal}) after ${timeoutMs} ms:\n${tail(result)}`);
  return result;
}

/**
 * A lab of `episode` in `dir` with offline images and host ports shifted, written in this
 * process (writeLab, what `new` calls): for suites about what the verifier does with a lab,
 * which make dozens; `new` itself is the subject of the CLI tests. Two CLI starts fewer per
 * lab (≈ 2.5 s).
 */
export async function newLabInProcess(episode: string, dir: string, proxy: 'haproxy' | 'ts' | 'both', shift: number): Promise<void> {
  const spec = await loadEpisode(episode);
  await writeLab({ ...spec, proxy, images: 'offline', frontends: spec.frontends.map((f) => ({ ...f, hostPort: f.hostPort + shift })) }, dir);
}

export async function readReport(file: string): Promise<Report> {
  return JSON.parse(await readFile(file, 'utf8')) as Report;
}

export interface PlacedCheck {
  /** "both" for the cross-proxy checks at the top of a --proxy both report. */
  proxy: string;
  check: Check;
}

/** Every check of a report: the top level's and, for --proxy both, each proxy's. */
export function allChecks(report: Report): PlacedCheck[] {
  return [
    ...report.checks.map((check) => ({ proxy: report.proxy, check })),
    ...(report.reports ?? []).flatMap((r) => r.checks.map((check) => ({ proxy: r.proxy, check }))),
  ];
}

export function describeCheck({ proxy, check }: PlacedCheck): string {
  return `[${proxy}] ${check.name}: ${check.skipped ? `SKIPPED (${check.skipped})` : check.pass ? 'pass' : 'FAIL'} — expected ${check.expected}; observed ${check.observed}; ${check.detail}`;
}

/**
 * Everything labelled io.haplab.lab whose lab is one of `labs`, found the way `down` finds it:
 * by the label alone (dockerode list calls with the label filter), never by name.
 */
export async function labelledLeft(docker: Docker, labs: readonly string[]): Promise<string[]> {
  const filters = { label: ['io.haplab.lab'] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const ours = (labels: Record<string, string> | null | undefined) => labs.includes(labels?.['io.haplab.lab'] ?? '');
  return [
    ...containers.filter((c) => ours(c.Labels)).map((c) => `container ${c.Names.join(',')} (${c.State})`),
    ...networks.filter((n) => ours(n.Labels)).map((n) => `network ${n.Name}`),
    ...(volumes.Volumes ?? []).filter((v) => ours(v.Labels)).map((v) => `volume ${v.Name}`),
  ];
}
