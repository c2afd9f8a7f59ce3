/**
 * A service's recipe and its Dockerfile say the same thing (src/render/recipes.ts): for every
 * catalogue lab with both proxies, the rendered Dockerfile's COPY, WORKDIR, USER, EXPOSE and
 * CMD lines are exactly the recipe's, since `up` applies the recipe instead of building the
 * Dockerfile. And `up` takes that shortcut only for a Dockerfile as rendered, on a base that
 * needs no setup.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogueIds, loadEpisode } from '../../../src/lab-schema/catalogue.js';
import { customizeSpec } from '../../../src/lab-schema/customize.js';
import { renderDockerfile, serviceRecipes, type ServiceRecipe } from '../../../src/render/recipes.js';
import { runsFromBase } from '../../../src/runtime/docker/recipe-files.js';

/** The instructions of a Dockerfile that `up` must reproduce, as the recipe would state them. */
function instructionsOf(dockerfile: string): Pick<ServiceRecipe, 'copies' | 'ports' | 'cmd' | 'workdir' | 'user'> {
  const lines = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));
  const args = (word: string) => lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1));
  const one = (word: string) => {
    const found = args(word);
    expect(found.length, `${word} lines`).toBeLessThanOrEqual(1);
    return found[0];
  };
  const cmd = one('CMD');
  return {
    copies: args('COPY').map((a) => {
      const [from, to, ...rest] = a.split(' ');
      expect(rest).toEqual([]);
      return { from: from!, to: to! };
    }),
    ports: args('EXPOSE').flatMap((a) => a.split(' ').map(Number)),
    cmd: cmd === undefined ? [] : (JSON.parse(cmd) as string[]),
    workdir: one('WORKDIR'),
    user: one('USER'),
  };
}

const EPISODES = await catalogueIds();

describe('service recipes', () => {
  for (const id of EPISODES) {
    it(`${id}: every Dockerfile states its recipe, nothing more`, async () => {
      const spec = customizeSpec(await loadEpisode(id), { proxy: 'both' });
      const recipes = serviceRecipes(spec);
      expect(recipes.map((r) => r.service)).toEqual([...spec.apps.map((a) => a.name), 'haproxy', 'tsproxy']);
      for (const recipe of recipes) {
        const { copies, ports, cmd, workdir, user } = recipe;
        expect(instructionsOf(renderDockerfile(recipe)), recipe.service).toEqual({ copies: copies.map(({ from, to }) => ({ from, to })), ports, cmd, workdir, user });
      }
    });
  }

  it('the TLS lab copies its certificate into both proxies', async () => {
    const spec = customizeSpec(await loadEpisode('ep13'), { proxy: 'both' });
    for (const recipe of serviceRecipes(spec).filter((r) => r.base !== 'python')) {
      expect(recipe.copies.map((c) => c.to)).toContain('/etc/haplab/tls/site.pem');
    }
  });
});

describe('runsFromBase: when up may skip the build', () => {
  /** A lab directory with the service's Dockerfile and, unless told not to, every file and directory it copies. */
  async function labWith(recipe: ServiceRecipe, dockerfile: string | undefined, sources = true): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'haplab-recipes-'));
    await mkdir(join(dir, recipe.context), { recursive: true });
    if (dockerfile !== undefined) await writeFile(join(dir, recipe.context, 'Dockerfile'), dockerfile);
    for (const copy of sources ? recipe.copies : []) {
      const at = join(dir, recipe.context, copy.from);
      if (copy.from === '.' || copy.from.endsWith('/')) await mkdir(at, { recursive: true });
      else await writeFile(at, '');
    }
    return dir;
  }
  const recipes = async () => serviceRecipes(customizeSpec(await loadEpisode('ep09'), { proxy: 'both' }));

  it('a Dockerfile as rendered, on the offline base: yes, for apps and proxies', async () => {
    for (const recipe of await recipes()) {
      expect(await runsFromBase(await labWith(recipe, renderDockerfile(recipe)), recipe, 'offline'), recipe.service).toBe(true);
    }
  });

  it('an edited or missing Dockerfile: no, it is built (or its absence reported by the build)', async () => {
    for (const recipe of await recipes()) {
      expect(await runsFromBase(await labWith(recipe, `${renderDockerfile(recipe)}ENV EDITED=1\n`), recipe, 'offline')).toBe(false);
      expect(await runsFromBase(await labWith(recipe, renderDockerfile(recipe).replace('\n', '\n\n')), recipe, 'offline')).toBe(false);
      expect(await runsFromBase(await labWith(recipe, undefined), recipe, 'offline')).toBe(false);
    }
  });

  it('a file the Dockerfile copies is missing: no, the build reports it at its COPY step', async () => {
    const haproxy = (await recipes()).find((r) => r.service === 'haproxy')!;
    const dir = await labWith(haproxy, renderDockerfile(haproxy), false);
    expect(await runsFromBase(dir, haproxy, 'offline')).toBe(false);
    await writeFile(join(dir, haproxy.context, 'haproxy.cfg'), 'global\n');
    expect(await runsFromBase(dir, haproxy, 'offline')).toBe(true);
  });

  it('a .dockerignore beside the Dockerfile: no, the build honours it and the recipe would not', async () => {
    const [recipe] = await recipes();
    const dir = await labWith(recipe!, renderDockerfile(recipe!));
    await writeFile(join(dir, recipe!.context, '.dockerignore'), 'notes.txt\n');
    expect(await runsFromBase(dir, recipe!, 'offline')).toBe(false);
  });

  it('official images: the apps need their setup step (pip), so they are built; the proxies need none', async () => {
    for (const recipe of await recipes()) {
      const dir = await labWith(recipe, renderDockerfile(recipe));
      expect(await runsFromBase(dir, recipe, 'official'), recipe.service).toBe(recipe.base !== 'python');
    }
  });
});
