/**
 * One stick table's entries (HAProxy src/stick_table.c, reduced to what haplab stores):
 * entries by key, each tracked entry's expiry pushed to `now + expire` (stktable_touch),
 * entries past their expiry gone, and when the table is full the entry expiring first
 * makes room (stktable_trash_oldest), or the new key is not tracked at all.
 */
import { FreqCtr } from './freq-ctr.js';
import type { StickTableConfig } from './types.js';

export interface StickEntry {
  key: string;
  /** ms on the table's clock; Infinity without `expire`. */
  expiresAt: number;
  httpReqCnt: number;
  httpReqRate: FreqCtr;
}

export type Clock = () => number;

/** HAProxy's now_ms: whole milliseconds. */
export const monotonicClock: Clock = () => Math.floor(performance.timeOrigin + performance.now());

export class StickTable {
  /** In expiry order: every touch moves an entry to the end. */
  private readonly entries = new Map<string, StickEntry>();

  constructor(
    readonly name: string,
    readonly config: StickTableConfig,
    readonly clock: Clock = monotonicClock,
  ) {}

  get size(): number {
    this.expire(this.clock());
    return this.entries.size;
  }

  /** The live entry for `key`, if any. */
  lookup(key: string, now = this.clock()): StickEntry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** stktable_get_entry: the entry for `key`, made when missing; undefined when the table is full of live entries. */
  getOrCreate(key: string, now = this.clock()): StickEntry | undefined {
    const found = this.lookup(key, now);
    if (found) return found;
    if (this.entries.size >= this.config.size) {
      this.expire(now);
      // With an expiry, entries leave in expiry order; without one HAProxy trashes nothing.
      if (this.entries.size >= this.config.size) {
        if (this.config.expireMs === undefined) return undefined;
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
    }
    const entry: StickEntry = { key, expiresAt: Infinity, httpReqCnt: 0, httpReqRate: new FreqCtr() };
    this.entries.set(key, entry);
    this.touch(entry, now);
    return entry;
  }

  /** stktable_touch_local: the entry lives `expire` from now. */
  touch(entry: StickEntry, now = this.clock()): void {
    entry.expiresAt = this.config.expireMs === undefined ? Infinity : now + this.config.expireMs;
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
  }

  /** Drops every entry past its expiry (HAProxy's process_table_expire). */
  expire(now = this.clock()): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}
