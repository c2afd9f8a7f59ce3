/** What the balancer may read from a request (PickContext), without a closure per request. */
import type { PickContext } from '../balance/types.js';

export class RequestPickContext implements PickContext {
  constructor(
    readonly sourceAddress: string,
    readonly uri: string,
    private readonly rawHeaders: readonly string[],
  ) {}

  /** The first field named `name`, compared case-insensitively; nothing is allocated per call. */
  header(name: string): string | undefined {
    const raw = this.rawHeaders;
    const len = name.length;
    for (let k = 0; k < raw.length; k += 2) {
      const field = raw[k]!;
      if (field.length === len && sameName(field, name)) return raw[k + 1];
    }
    return undefined;
  }
}

/**
 * a.toLowerCase() === b.toLowerCase() for strings of equal length, without making the two
 * lowered copies (one of them per header, per request, on the balancer's hot path). ASCII is
 * folded here; a non-ASCII unit, which a field name cannot hold, falls back to toLowerCase.
 */
function sameName(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if ((x | y) > 0x7f) return a.toLowerCase() === b.toLowerCase();
    const lx = x | 0x20;
    if (lx !== (y | 0x20) || lx < 0x61 || lx > 0x7a) return false;
  }
  return true;
}
