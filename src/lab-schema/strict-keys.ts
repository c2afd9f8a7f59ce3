/**
 * The lab spec's schema is strict: a key it does not know is an error, named with the
 * nearest valid key, because a misspelt key (`chek: true`) would otherwise be dropped
 * silently and the lab would run without what its author asked for.
 */

/** The keys each mapping of a lab spec may hold (src/lab-schema/types.ts describes them). */
export const SPEC_KEYS = {
  spec: ['id', 'title', 'episode', 'proves', 'proxy', 'images', 'apps', 'frontends', 'backends', 'timeouts', 'notes', 'clientSubnet', 'guide'],
  guide: ['concept', 'tryByHand'],
  timeouts: ['connect', 'client', 'server'],
  app: ['name', 'port', 'routes', 'delaySeconds', 'files', 'healthRoute', 'placement'],
  route: ['path', 'methods', 'text', 'json', 'staticDir', 'delaySeconds', 'echoHeader'],
  backend: ['name', 'balance', 'balanceArg', 'hashType', 'servers', 'cookie', 'stickTable', 'redispatch', 'healthCheck'],
  healthCheck: ['path', 'expectStatus', 'interMs', 'fall', 'rise'],
  cookie: ['name', 'indirect', 'nocache'],
  stickTable: ['size', 'expireMs'],
  server: ['name', 'app', 'weight', 'check', 'backup', 'disabled', 'cookie'],
  frontend: ['name', 'mode', 'bind', 'hostPort', 'acls', 'rules', 'defaultBackend', 'description', 'stickTable', 'tls'],
  acl: ['name', 'criterion'],
} as const satisfies Record<string, readonly string[]>;

export type SpecMapping = keyof typeof SPEC_KEYS;

export interface UnknownKey {
  key: string;
  message: string;
  hint: string;
}

/** Every key of `o` that `kind` does not allow, each with the nearest allowed key when one is close. */
export function unknownKeys(o: Record<string, unknown>, kind: SpecMapping, where: string): UnknownKey[] {
  const allowed: readonly string[] = SPEC_KEYS[kind];
  return Object.keys(o)
    .filter((key) => !allowed.includes(key))
    .map((key) => {
      const near = nearest(key, allowed);
      const shown = key.length > 60 ? `${key.slice(0, 60)}…` : key;
      return {
        key,
        message: `unknown key ${JSON.stringify(shown)} in ${where}`,
        hint: near ? `did you mean ${JSON.stringify(near)}? (${where} takes: ${allowed.join(', ')})` : `${where} takes: ${allowed.join(', ')}`,
      };
    });
}

/** The allowed key closest to `key` by edit distance (case-insensitive), if close enough to be a slip. */
export function nearest(key: string, allowed: readonly string[]): string | undefined {
  if (key.length > 64) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // A slip changes a few characters; beyond a third of the word it is another word.
  const tolerance = Math.max(2, Math.floor((best?.length ?? 0) / 3));
  return bestDistance <= tolerance ? best : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions, each costing 1. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
