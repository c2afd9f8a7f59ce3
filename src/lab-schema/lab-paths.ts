/**
 * Paths a spec names (an app's `files:`, a route's `staticDir`) end up under the app's
 * directory of the lab: they must stay there. Refused here, at validation, with the key
 * that named them; src/render/lab.ts checks containment again before it writes.
 */

/** Why `rel` is not a safe path inside an app's directory, or undefined when it is. */
export function labPathProblem(rel: string): string | undefined {
  if (rel.length === 0) return 'is empty';
  if (rel.length > 200) return `is ${rel.length} characters long (at most 200)`;
  if (rel.includes('\0')) return 'holds a NUL character';
  if (rel.includes('\\')) return 'holds a backslash';
  if (rel.startsWith('/')) return 'is absolute';
  const parts = rel.split('/');
  if (parts.includes('..')) return 'climbs out with ".."';
  if (parts.every((p) => p === '' || p === '.')) return 'names the app directory itself';
  return undefined;
}
