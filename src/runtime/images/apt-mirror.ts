/**
 * The Debian mirror debootstrap should use: the one apt on this machine is already
 * configured for (so air-gapped sites with an internal mirror just work), never a host
 * name baked into haplab. HAPLAB_DEBIAN_MIRROR overrides it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentError } from '../../errors.js';

export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
  file: string;
}

/** One-line format: `deb [opts] URI SUITE COMPONENT…`. */
export function parseListFile(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) sources.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean), file });
  }
  return sources;
}

/** deb822 format (`*.sources`): stanzas of `Key: value` separated by blank lines. */
export function parseSourcesFile(text: string, file: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
    }
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled') === 'no') continue;
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    for (const uri of words('uris')) sources.push({ uri, suites: words('suites'), components: words('components'), file });
  }
  return sources;
}

export function aptSources(root = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const list = join(root, 'sources.list');
  if (existsSync(list)) sources.push(...parseListFile(readFileSync(list, 'utf8'), list));
  const dir = join(root, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      if (name.endsWith('.list')) sources.push(...parseListFile(readFileSync(file, 'utf8'), file));
      else if (name.endsWith('.sources')) sources.push(...parseSourcesFile(readFileSync(file, 'utf8'), file));
    }
  }
  return sources;
}

/** The first configured source that carries `suite` main (the plain archive, not -updates/-security). */
export function debianMirror(suite: string, env: NodeJS.ProcessEnv = process.env, root = '/etc/apt'): string {
  const override = env.HAPLAB_DEBIAN_MIRROR?.trim();
  if (override) return override;
  const found = aptSources(root).find((s) => s.suites.includes(suite) && s.components.includes('main'));
  if (!found) {
    throw new EnvironmentError(
      `no Debian ${suite} mirror is configured in ${root}/sources.list*`,
      `set HAPLAB_DEBIAN_MIRROR to a Debian mirror URL that carries ${suite}`,
    );
  }
  return found.uri;
}
