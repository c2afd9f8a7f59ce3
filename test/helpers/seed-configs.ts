/** The seed's haproxy.cfg examples, kept in test/fixtures/seed-configs (see its README.md). */
import { readdirSync, readFileSync } from 'node:fs';

const DIR = new URL('../fixtures/seed-configs/', import.meta.url);

export interface SeedConfig {
  /** The file name, e.g. ep09-line-0122.cfg: the episode and the seed line it starts on. */
  name: string;
  text: string;
}

export function seedConfigs(): SeedConfig[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.cfg'))
    .sort()
    .map((name) => ({ name, text: readFileSync(new URL(name, DIR), 'utf8') }));
}
