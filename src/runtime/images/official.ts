/**
 * `haplab images`: pulls the official base images the generated Dockerfiles start from.
 * Where no registry answers (air-gapped sites, this project's machines) that fails, and the
 * error says so and points at --offline.
 */
import type Docker from 'dockerode';
import { EnvironmentError } from '../../errors.js';
import { OFFICIAL_IMAGES } from '../../lab-schema/images.js';
import { imageExists } from '../docker/build.js';
import type { ImageStep } from './steps.js';

interface PullEvent {
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
}

export function officialImages(): string[] {
  return [...new Set(Object.values(OFFICIAL_IMAGES))];
}

export function officialImageSteps(docker: Docker, options: { force?: boolean } = {}): ImageStep[] {
  return officialImages().map((image) => ({
    title: `pull ${image}`,
    skip: async () => (!options.force && (await imageExists(docker, image)) ? `${image} is already there` : false),
    run: (report) => pull(docker, image, report),
  }));
}

async function pull(docker: Docker, image: string, report: (line: string) => void): Promise<void> {
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null, events: PullEvent[]) => {
          const failed = err?.message ?? events.find((e) => e.error)?.error;
          if (failed) reject(new Error(failed));
          else resolve();
        },
        (event: PullEvent) => {
          if (event.status) report([event.id, event.status, event.progress].filter(Boolean).join(' '));
        },
      );
    });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^\(HTTP code \d+\)[^-]*-\s*/, '');
    throw new EnvironmentError(
      `cannot pull ${image}: ${reason.trim()} (is an image registry reachable from here?)`,
      'run `haplab images --offline` to build equivalents here (labs then use them)',
    );
  }
}
