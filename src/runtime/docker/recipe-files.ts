/**
 * A service made as its Dockerfile says, without building it (src/render/recipes.ts): the
 * container runs the base image with the recipe's user, working directory and command, and
 * the recipe's files are put into it before it starts. The classic builder commits an image
 * for every instruction of every app (ep04's nine apps took ~18 s); this takes milliseconds
 * and leaves no image behind.
 *
 * Only where that is the same thing: the service's Dockerfile is still the one haplab
 * rendered (one the learner has edited is built, so the edit counts), every file it copies
 * is there, no .dockerignore narrows its COPY, and its base needs no setup step (haplab's offline base has Flask and
 * waitress; the official python image gets them from pip, in a build).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type Docker from 'dockerode';
import { pack, type Headers } from 'tar-fs';
import { renderDockerfile, type CopyStep, type ServiceRecipe } from '../../render/recipes.js';
import type { ImageFlavor } from '../../lab-schema/types.js';
import { EnvironmentError } from '../../errors.js';

/** Whether `up` may make this service from its base image instead of building its Dockerfile. */
export async function runsFromBase(labDir: string, recipe: ServiceRecipe, flavor: ImageFlavor): Promise<boolean> {
  if (recipe.setup !== undefined && flavor !== 'offline') return false;
  // A .dockerignore changes what COPY takes: the engine's build reads it, the recipe does not.
  if (existsSync(join(labDir, recipe.context, '.dockerignore'))) return false;
  // A file it copies is missing: the build says so at its COPY step (exit 3 with the step).
  if (!recipe.copies.every((copy) => existsSync(join(labDir, recipe.context, copy.from)))) return false;
  const written = await readFile(join(labDir, recipe.context, 'Dockerfile'), 'utf8').catch(() => undefined);
  return written === renderDockerfile(recipe);
}

/** The container settings the Dockerfile's WORKDIR, USER and CMD would have put in the image. */
export function recipeProcess(recipe: ServiceRecipe): Pick<Docker.ContainerCreateOptions, 'Cmd' | 'User' | 'WorkingDir'> {
  return { Cmd: recipe.cmd, ...(recipe.user ? { User: recipe.user } : {}), ...(recipe.workdir ? { WorkingDir: recipe.workdir } : {}) };
}

/** The Dockerfile's COPY steps, into a container that has not started yet. */
export async function putRecipeFiles(container: Docker.Container, labDir: string, recipe: ServiceRecipe): Promise<void> {
  const context = join(labDir, recipe.context);
  for (const copy of recipe.copies) {
    try {
      await container.putArchive(archiveOf(context, copy), { path: '/' });
    } catch (err) {
      // What a build would have stopped at, said as its COPY step would be.
      const reason = err instanceof Error ? err.message : String(err);
      throw new EnvironmentError(`copying ${join(recipe.context, copy.from)} into ${recipe.service} (COPY ${copy.from} ${copy.to}) failed: ${reason}`, "check that the lab's files can be read, then run `haplab up` again");
    }
  }
}

/** COPY's meaning: a directory ('.' or a trailing '/') copies its contents into `to`; a file becomes `to`. */
function archiveOf(context: string, copy: CopyStep): NodeJS.ReadableStream {
  // Owned by root, as COPY leaves them; the modes are the lab's (as COPY keeps them).
  const at = (name: string) => (header: Headers): Headers => ({ ...header, name: name.replace(/^\/+/, ''), uid: 0, gid: 0 });
  const stream = copy.from === '.' || copy.from.endsWith('/')
    ? pack(join(context, copy.from), { map: (header) => at(posix.join(copy.to, header.name))(header) })
    : pack(context, { entries: [copy.from], map: at(copy.to) });
  return stream as unknown as NodeJS.ReadableStream;
}
