/** What the balancer may read from a request (PickContext), without a closure per request. */
import type { PickContext } from '../balance/types.js';

export class RequestPickContext implements PickContext {
  constructor(
    readonly sourceAddress: string,
    readonly uri: string,
    private readonly rawHeaders: readonly string[],
  ) {}

  header(name: string): string | undefined {
    const raw = this.rawHeaders;
    const lower = name.toLowerCase();
    for (let k = 0; k < raw.length; k += 2) if (raw[k]!.length === lower.length && raw[k]!.toLowerCase() === lower) return raw[k + 1];
    return undefined;
  }
}
