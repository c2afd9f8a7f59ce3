/**
 * `<dir>/.haplab/state.json`: which runtime holds a lab directory, written by `up` (of
 * either runtime) before it starts anything, so `haplab down DIR` and `haplab status`
 * know whom to ask even when the `up` that wrote it was killed half-way.
 *
 * Shape (version 1):
 *   { version: 1, runtime: 'docker'|'local', lab, runId, episode, createdAt,
 *     phase: 'starting'|'running', endpoints?, stats?, notes? }
 * Runtimes keep their own details elsewhere (the local runtime under .haplab/local/).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BadInputError } from '../errors.js';
import type { Endpoint, LabInstance, RuntimeKind } from './types.js';

export const STATE_DIR = '.haplab';
export const STATE_FILE = 'state.json';

export interface LabState {
  version: 1;
  runtime: RuntimeKind;
  /** The lab's name (labNameOf(dir)). */
  lab: string;
  /** One `up`: a fresh id each time the lab is started; `down` only clears its own run. */
  runId: string;
  /** Episode id from lab.yaml. */
  episode: string;
  /** ISO time the run started. */
  createdAt: string;
  /** starting: `up` is (or was, if it died) under way · running: every port answered. */
  phase: 'starting' | 'running';
  endpoints?: Endpoint[];
  stats?: LabInstance['stats'];
  notes?: string[];
}

export function stateFilePath(dir: string): string {
  return join(dir, STATE_DIR, STATE_FILE);
}

/** A new run id: time-ordered, unique enough to tell two runs of one lab apart. */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** The lab's state, or undefined when no runtime has started it. */
export async function readLabState(dir: string): Promise<LabState | undefined> {
  const file = stateFilePath(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BadInputError('the lab state file is not valid JSON', { file }, 'remove it if no haplab run uses this lab, then run haplab up again');
  }
  if (!isLabState(parsed)) {
    throw new BadInputError('the lab state file is not one haplab wrote (version 1)', { file }, 'remove it if no haplab run uses this lab');
  }
  return parsed;
}

function isLabState(value: unknown): value is LabState {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return v.version === 1 && (v.runtime === 'docker' || v.runtime === 'local' || v.runtime === 'swarm') && typeof v.lab === 'string' && typeof v.runId === 'string';
}

/** Writes atomically (temp file + rename): a reader never sees half a file. */
export async function writeLabState(dir: string, state: LabState): Promise<void> {
  const file = stateFilePath(dir);
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temp, file);
}

/**
 * Removes the state file — only when it still describes `runId` (when given), so a `down`
 * of an old run cannot erase the record of a newer one.
 */
export async function removeLabState(dir: string, runId?: string): Promise<void> {
  if (runId !== undefined) {
    const current = await readLabState(dir).catch(() => undefined);
    if (current && current.runId !== runId) return;
  }
  await rm(stateFilePath(dir), { force: true });
}
