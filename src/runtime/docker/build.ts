/**
 * Builds one image from a directory: the directory goes to the engine as a tar stream
 * (no docker CLI, no BuildKit), the image is tagged and labelled, and a failed build
 * becomes an error that carries the failing step and its output.
 */
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import { DetailedEnvironmentError } from './detailed-error.js';
import { removeUnusedLayers } from './image-layers.js';

interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** A failed build: the first line says which image and step, the lines below are that step's output. */
export class BuildFailedError extends DetailedEnvironmentError {
  constructor(readonly tag: string, readonly step: string, readonly output: string[], reason: string) {
    super(`building ${tag} failed${step ? ` at ${step}` : ''}: ${reason}`, hintFor(reason), output.slice(-20).map((l) => `    ${l}`).join('\n'));
  }
}

function hintFor(reason: string): string {
  if (/haplab\/bookworm/.test(reason)) return 'build the offline base images first: `haplab images --offline`';
  if (/pull access denied|no such host|dial tcp|TLS handshake|manifest unknown|i\/o timeout/i.test(reason)) {
    return 'no image registry is reachable: `haplab images --offline` builds haplab\'s own base images, which `up` then uses (unless lab.yaml pins `images: official`)';
  }
  return 'fix the step above in the Dockerfile (or the files it copies) and run `haplab up` again';
}

/** The engine's own lines between a step's output ("---> Running in …"): not what the user needs to see. */
const ENGINE_BOOKKEEPING = /^(\s*---> |Removing intermediate container |Successfully (built|tagged) )/;

export interface BuildOptions {
  contextDir: string;
  tag: string;
  labels: Record<string, string>;
  dockerfile?: string;
  /** The Dockerfile's ARGs (BASE_IMAGE: the base `up` chose). */
  buildArgs?: Record<string, string>;
  signal?: AbortSignal;
  /** Each line the build prints. */
  onLine?: (line: string) => void;
}

export async function buildImage(docker: Docker, options: BuildOptions): Promise<void> {
  const context = pack(options.contextDir) as unknown as NodeJS.ReadableStream;
  const stream = await docker.buildImage(context, {
    t: options.tag,
    labels: options.labels,
    dockerfile: options.dockerfile,
    buildargs: options.buildArgs,
    // Intermediate containers go even when a step fails: nothing unlabelled is left behind.
    rm: true,
    forcerm: true,
    abortSignal: options.signal,
  } as Docker.ImageBuildOptions);
  const lines: string[] = [];
  let step = '';
  let stepOutput: string[] = [];
  let failure: string | undefined;
  /** Set when the build ended because the signal aborted it (the error is thrown as it came). */
  let abort: { err: unknown } | undefined;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (event: BuildEvent) => {
        if (event.error || event.errorDetail) {
          failure = event.errorDetail?.message ?? event.error ?? 'unknown error';
          return;
        }
        const text = event.stream ?? event.status;
        if (!text) return;
        for (const line of text.split('\n').map((l) => l.trimEnd()).filter(Boolean)) {
          lines.push(line);
          if (/^Step \d+\/\d+ : /.test(line)) {
            step = line;
            stepOutput = [];
          } else if (!ENGINE_BOOKKEEPING.test(line)) stepOutput.push(line);
          options.onLine?.(line);
        }
      },
    );
  }).catch((err: unknown) => {
    if (options.signal?.aborted) abort = { err };
    else failure ??= err instanceof Error ? err.message : String(err);
  });
  if (abort === undefined && failure === undefined) return;
  // The steps that passed were kept as untagged images, which no label finds later.
  await removeUnusedLayers(docker, [layersOf(lines)]).catch(() => undefined);
  if (abort !== undefined) throw abort.err;
  throw new BuildFailedError(options.tag, step, stepOutput, (failure ?? '').trim());
}

/** The images a build made or reused, newest first, from its " ---> 1a2b3c4d5e6f" lines. */
function layersOf(lines: readonly string[]): string[] {
  return lines.map((l) => /^\s*---> ([0-9a-f]{12,64})$/.exec(l)?.[1]).filter((id): id is string => id !== undefined).reverse();
}

/** Whether the engine has this image (by tag or id). */
export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}
