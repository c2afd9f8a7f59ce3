/**
 * Chooses the runtime: docker where an engine answers and base images can be had (present,
 * pulled, or built here), local processes otherwise, and says why.
 */
import { BadInputError, EnvironmentError } from '../errors.js';
import type { Runtime, RuntimeKind } from './types.js';
import { readLabState } from './state.js';
import { RUNTIME_LOADERS } from './loaders.js';

const { docker: createDockerRuntime, local: createLocalRuntime, swarm: createSwarmRuntime } = RUNTIME_LOADERS;

export type RuntimeChoice = RuntimeKind | 'auto';

export interface SelectedRuntime {
  runtime: Runtime;
  /** One line for the user: which runtime and why. */
  reason: string;
}

/** What --runtime accepts, for parsing and for the commands' help. */
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', 'docker', 'local', 'swarm'];

export function parseRuntimeChoice(value: string | undefined): RuntimeChoice {
  const v = value ?? 'auto';
  const choice = RUNTIME_CHOICES.find((c) => c === v);
  if (choice) return choice;
  throw new BadInputError(`unknown runtime ${JSON.stringify(v)}`, { flag: '--runtime' }, 'use auto, docker, local or swarm');
}

export async function selectRuntime(choice: RuntimeChoice): Promise<SelectedRuntime> {
  if (choice === 'local') return { runtime: await createLocalRuntime(), reason: 'local runtime (asked for with --runtime local)' };
  // swarm only when asked for: `auto` never picks it (a swarm is a choice, not a fallback).
  if (choice === 'swarm') {
    const runtime = await createSwarmRuntime();
    return { runtime, reason: `swarm runtime (asked for): ${runtime.describe()}` };
  }
  if (choice === 'docker') {
    const runtime = await createDockerRuntime();
    return { runtime, reason: `docker runtime (asked for): ${runtime.describe()}` };
  }
  let runtime;
  try {
    runtime = await createDockerRuntime();
  } catch (err) {
    if (!(err instanceof EnvironmentError)) throw err;
    return { runtime: await createLocalRuntime(), reason: `local runtime: no Docker engine answered (${err.message})` };
  }
  // An engine that can neither find, pull nor build the base images would only fail at the
  // build: `auto` runs the lab as local processes instead, and says why in one line.
  const outlook = await runtime.baseImageOutlook();
  if (outlook.cannot) {
    return { runtime: await createLocalRuntime(), reason: `local runtime: the Docker engine (${runtime.describe()}) answers but ${outlook.cannot}` };
  }
  return { runtime, reason: `docker runtime: ${runtime.describe()}${outlook.making ? ` (${outlook.making})` : ''}` };
}

/**
 * The runtime that holds the lab in `dir`, from the state `up` wrote; when none was
 * written, the runtime `choice` selects.
 */
export async function runtimeForLab(dir: string, choice: RuntimeChoice = 'auto'): Promise<SelectedRuntime> {
  const state = await readLabState(dir).catch(() => undefined);
  if (state && choice !== 'auto' && state.runtime !== choice) {
    throw new BadInputError(`the lab in ${dir} runs on ${state.runtime}, not ${choice}`, { flag: '--runtime' }, `drop --runtime, or run \`haplab down ${dir}\` first`);
  }
  if (state) return selectRuntime(state.runtime);
  return selectRuntime(choice);
}
