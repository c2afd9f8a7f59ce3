/**
 * A frontend rule of the lab spec (`use_backend NAME if …`, `http-request deny …`) is a
 * haproxy.cfg line: read its words with the proxy's own tokenizer (quotes, escapes), the one
 * tokenizer of haproxy.cfg text in haplab — never by splitting on spaces.
 */
import { BadInputError } from '../errors.js';
import { tokenizeLine } from '../proxy/config/tokenize.js';
import type { BackendSpec, LabSpec, Mode } from './types.js';

/** The rule's words, or undefined when it cannot be read (an open quote): validation says why. */
export function ruleWords(rule: string): string[] | undefined {
  try {
    return tokenizeLine(rule, { file: 'lab.yaml', line: 1 }, {}).map((w) => w.text);
  } catch (err) {
    if (err instanceof BadInputError) return undefined;
    throw err;
  }
}

/** The backend a `use_backend` rule sends to, or undefined for any other rule. */
export function useBackendTarget(rule: string): string | undefined {
  const words = ruleWords(rule);
  return words?.[0] === 'use_backend' ? words[1] : undefined;
}

/**
 * The mode a backend runs in: that of the first frontend sending to it (default or
 * use_backend), else the first frontend's. Here and not in types.ts: types.ts is copied
 * alone into the probe image and must import nothing.
 */
export function backendModeOf(spec: LabSpec, backend: BackendSpec): Mode {
  const user = spec.frontends.find((f) => f.defaultBackend === backend.name || f.rules?.some((r) => useBackendTarget(r) === backend.name));
  return user?.mode ?? spec.frontends[0]!.mode;
}
