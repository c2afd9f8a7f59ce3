/**
 * `stick-table type ip size N expire T` with `stick on src`, as HAProxy 2.6 runs them
 * (src/stream.c process_sticking_rules / process_store_rules, src/stick_table.c):
 *   - request: a table entry for the client's address that names a server which is not down
 *     sends the request there directly (unless a cookie already assigned it); looking the
 *     entry up touches it: it expires `expire` after the last request or response;
 *   - response: the entry for the address is created or updated to name the server that
 *     answered (so a client balanced away from a dead server sticks to its new one);
 *   - an entry past its expiry is gone (HAProxy's expiry task removes it on time); a full
 *     table makes room by dropping the entries closest to expiry, size/256 + 1 at once
 *     (stktable_trash_oldest), as a new entry is stored.
 */
export interface StickEntry {
  serverId: number;
  /** ms (performance.now() clock); Infinity without `expire`. */
  expiresAt: number;
}

export class StickTable {
  /** Insertion order is touch order, so the oldest entries come first. */
  private readonly entries = new Map<string, StickEntry>();

  constructor(
    readonly size: number,
    readonly expireMs: number | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The entry for `key`, touched; undefined when absent or expired. */
  lookup(key: string): StickEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = this.now();
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    this.touch(key, entry, now);
    return entry;
  }

  /** Stores (or updates) `key` → `serverId`, touched. */
  store(key: string, serverId: number): void {
    const now = this.now();
    const existing = this.entries.get(key);
    if (existing && existing.expiresAt > now) {
      existing.serverId = serverId;
      this.touch(key, existing, now);
      return;
    }
    if (existing) this.entries.delete(key);
    if (this.entries.size >= this.size) this.trashOldest(now);
    if (this.entries.size >= this.size) return;
    this.touch(key, { serverId, expiresAt: Infinity }, now);
  }

  get count(): number {
    return this.entries.size;
  }

  private touch(key: string, entry: StickEntry, now: number): void {
    entry.expiresAt = this.expireMs === undefined ? Infinity : now + this.expireMs;
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private trashOldest(now: number): void {
    let budget = (this.size >> 8) + 1;
    for (const [key, entry] of this.entries) {
      // Touch order is expiry order (one expire for the table): expired ones go first anyway.
      if (budget-- <= 0 && entry.expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}

/** `type ip` keys IPv4 addresses: an IPv4-mapped IPv6 address is its IPv4 address. */
export function stickKey(sourceAddress: string): string {
  return sourceAddress.startsWith('::ffff:') ? sourceAddress.slice(7) : sourceAddress;
}
