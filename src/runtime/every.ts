/**
 * The commands that act across every runtime (`status`, `down DIR`, `down --all`): which
 * runtimes exist, which of them answer here, and which one holds a lab directory. Runtimes
 * are made by loaders.ts, as in select.ts; callers get Runtime objects and reports.
 */
import { EnvironmentError } from '../errors.js';
import { RUNTIME_LOADERS } from './loaders.js';
import { readLabState } from './state.js';
import type { DownOptions, LabInstance, PartialLab, Runtime, RuntimeKind, TeardownReport } from './types.js';

const FACTORIES: Record<RuntimeKind, () => Promise<Runtime>> = RUNTIME_LOADERS;

/** One runtime's answer, or why it was skipped (no engine here: an EnvironmentError's message). */
export type PerRuntime<T> = { kind: RuntimeKind; runtime: Runtime; result: T } | { kind: RuntimeKind; skipped: string };

async function available(kind: RuntimeKind): Promise<{ runtime: Runtime } | { skipped: string }> {
  try {
    return { runtime: await FACTORIES[kind]() };
  } catch (err) {
    if (!(err instanceof EnvironmentError)) throw err;
    return { skipped: err.message };
  }
}

/** Asks every runtime that answers here; the others are reported skipped. */
async function acrossRuntimes<T>(ask: (runtime: Runtime) => Promise<T>): Promise<PerRuntime<T>[]> {
  const out: PerRuntime<T>[] = [];
  for (const kind of Object.keys(FACTORIES) as RuntimeKind[]) {
    const got = await available(kind);
    out.push('skipped' in got ? { kind, skipped: got.skipped } : { kind, runtime: got.runtime, result: await ask(got.runtime) });
  }
  return out;
}

/** Running labs on every runtime. */
export function listEveryLab(): Promise<PerRuntime<LabInstance[]>[]> {
  return acrossRuntimes((runtime) => runtime.list());
}

/** Partial labs on every runtime (status). */
export function leftoversEverywhere(): Promise<PerRuntime<PartialLab[]>[]> {
  return acrossRuntimes((runtime) => runtime.leftovers());
}

/** `down --all`: every lab of every runtime. */
export function downEveryLab(options: DownOptions = {}): Promise<PerRuntime<TeardownReport>[]> {
  return acrossRuntimes((runtime) => runtime.downAll(options));
}

/**
 * `down DIR`: the runtime the lab's state names takes it down (its absence is an error).
 * With no state — an `up` killed before writing it — every runtime that answers is asked
 * (each removes only what it made for `dir`, nothing when it has none). The reports of those
 * that removed something; empty when no lab was up in `dir`.
 */
export async function downLab(dir: string, options: DownOptions = {}): Promise<TeardownReport[]> {
  const state = await readLabState(dir).catch(() => undefined);
  if (state) {
    const report = await (await FACTORIES[state.runtime]()).down(dir, options);
    return [{ ...report, labs: report.labs.length ? report.labs : [state.lab] }];
  }
  const answers = await acrossRuntimes((runtime) => runtime.down(dir, options));
  return answers.flatMap((a) => ('result' in a && a.result.labs.length ? [a.result] : []));
}
