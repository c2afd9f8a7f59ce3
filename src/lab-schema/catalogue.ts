/** The episode catalogue: labs/*.yaml shipped with haplab. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BadInputError } from '../errors.js';
import { labsDir } from '../paths.js';
import { loadSpecFile } from './load.js';
import { normalizeSpec } from './normalize.js';
import { primaryBackend, type LabSpec } from './types.js';

export interface CatalogueEntry {
  id: string;
  title: string;
  algorithm: string;
  file: string;
}

export async function catalogueIds(): Promise<string[]> {
  const files = await readdir(labsDir);
  return files.filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -'.yaml'.length)).sort();
}

export async function loadEpisode(id: string, where: { flag?: string } = {}): Promise<LabSpec> {
  const ids = await catalogueIds();
  if (!ids.includes(id)) {
    throw new BadInputError(`unknown episode ${JSON.stringify(id)}`, where, `use one of: ${ids.join(', ')} (see haplab list)`);
  }
  return normalizeSpec(await loadSpecFile(join(labsDir, `${id}.yaml`)));
}

export async function listCatalogue(): Promise<CatalogueEntry[]> {
  const entries: CatalogueEntry[] = [];
  for (const id of await catalogueIds()) {
    const spec = await loadEpisode(id);
    entries.push({ id, title: spec.title, algorithm: describeAlgorithm(spec), file: join(labsDir, `${id}.yaml`) });
  }
  return entries;
}

/** "roundrobin", "source (consistent)", "acl routing", "random(2)" — as a learner reads it. */
export function describeAlgorithm(spec: LabSpec): string {
  if (spec.frontends.some((f) => (f.acls?.length ?? 0) > 0)) return 'acl routing';
  const b = primaryBackend(spec);
  const mode = spec.frontends[0]?.mode === 'tcp' ? ' (tcp)' : '';
  if (b.balance === 'random') return `random(${b.balanceArg ?? 2})`;
  if (b.hashType) return `${b.balance} (${b.hashType})${mode}`;
  const weights = b.servers.map((s) => s.weight);
  const weighted = weights.some((w) => w !== weights[0]) ? ` ${weights.join('/')}` : '';
  return `${b.balance}${weighted}${mode}`;
}
