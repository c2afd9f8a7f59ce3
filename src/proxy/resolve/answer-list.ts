/**
 * The answer records one resolution keeps across DNS responses, and which server holds
 * which, as HAProxy 2.6 keeps them (resolvers.c):
 *   - records are ordered by XXH32(address bytes, seed = record type), ascending, a new
 *     record after those of equal key (resolv_validate_dns_response's eb32 tree);
 *   - a record seen again only has its `lastSeen` refreshed; one not seen for longer than
 *     `hold obsolete` is dropped and the servers holding it let go (resolv_check_response);
 *   - a server asks for an address in turn (resolv_get_ip_from_response): while it holds a
 *     live record nothing changes; otherwise each A/AAAA record scores 8 for the preferred
 *     family, 2 when no other server of the same backend holds it (a record held by one is
 *     skipped: duplicate addresses are not allowed without resolve-opts allow-dup-ip), 1 for
 *     the server's current address; the first best score wins and the server holds it.
 * Pure: times are passed in, nothing here touches a socket or a server.
 */
import { xxh32 } from './xxh32.js';

export type Family = 4 | 6;

export interface AnswerAddress {
  family: Family;
  /** The address as bytes (4 or 16). */
  bytes: Uint8Array;
}

/** What asks for addresses: a server, known by the backend it belongs to. */
export interface AddressHolder {
  readonly backend: string;
}

export interface AnswerRecord extends AnswerAddress {
  key: number;
  lastSeen: number;
  readonly holders: Set<AddressHolder>;
}

export type AddressChoice =
  /** Keep what the server has (it holds a live record, or its current address won). */
  | { outcome: 'keep' }
  /** Move the server to this address. */
  | { outcome: 'change'; address: AnswerAddress }
  /** Nothing in the answer is free for it: the server goes into MAINT (resolution). */
  | { outcome: 'none' };

/** DNS record types, HAProxy's seeds for the key. */
const RTYPE: Record<Family, number> = { 4: 1, 6: 28 };

export function recordKey(address: AnswerAddress): number {
  return xxh32(address.bytes, RTYPE[address.family]);
}

function sameAddress(a: AnswerAddress, b: AnswerAddress): boolean {
  return a.family === b.family && a.bytes.length === b.bytes.length && a.bytes.every((x, i) => x === b.bytes[i]);
}

export class AnswerList {
  /** In HAProxy's tree order. */
  readonly records: AnswerRecord[] = [];
  private readonly held = new Map<AddressHolder, AnswerRecord>();

  /** Adds or refreshes the records of one valid response, in the response's order. */
  merge(addresses: readonly AnswerAddress[], now: number): void {
    for (const address of addresses) {
      const known = this.records.find((r) => sameAddress(r, address));
      if (known) {
        known.lastSeen = now;
        continue;
      }
      const key = recordKey(address);
      const record: AnswerRecord = { family: address.family, bytes: Uint8Array.from(address.bytes), key, lastSeen: now, holders: new Set() };
      let at = this.records.findIndex((r) => r.key > key);
      if (at < 0) at = this.records.length;
      this.records.splice(at, 0, record);
    }
  }

  /** Drops records older than `holdObsolete` (last seen strictly before now − hold); their servers let go. */
  purgeObsolete(holdObsolete: number, now: number): void {
    for (let i = this.records.length - 1; i >= 0; i--) {
      const record = this.records[i]!;
      if (record.lastSeen + holdObsolete >= now) continue;
      for (const holder of record.holders) this.held.delete(holder);
      this.records.splice(i, 1);
    }
  }

  /** resolv_purge_resolution_answer_records: every record goes (a failed resolution nobody keeps). */
  clear(): void {
    this.records.length = 0;
    this.held.clear();
  }

  /** The server lets go of its record (resolv_detach_from_resolution_answer_items). */
  release(holder: AddressHolder): void {
    this.held.get(holder)?.holders.delete(holder);
    this.held.delete(holder);
  }

  holderOf(holder: AddressHolder): AnswerRecord | undefined {
    return this.held.get(holder);
  }

  /** resolv_get_ip_from_response for one server; the choice is recorded (the server holds the record). */
  choose(holder: AddressHolder, current: AnswerAddress | undefined, prefer: Family): AddressChoice {
    if (this.held.has(holder)) return { outcome: 'keep' };
    let best: AnswerRecord | undefined;
    let bestScore = -1;
    let bestIsCurrent = false;
    for (const record of this.records) {
      let score = record.family === prefer ? 8 : 0;
      const usedByOther = [...record.holders].some((h) => h !== holder && h.backend === holder.backend);
      if (usedByOther) continue;
      score += 2;
      const isCurrent = current !== undefined && sameAddress(record, current);
      if (isCurrent) score += 1;
      if (score > bestScore) {
        best = record;
        bestIsCurrent = isCurrent;
        bestScore = score;
      }
    }
    if (!best) return { outcome: 'none' };
    // HAProxy keeps the last best of each family and then takes the preferred family's: as
    // the preference is worth more than the rest of the score together, that is `best`.
    this.release(holder);
    best.holders.add(holder);
    this.held.set(holder, best);
    this.rotate();
    return bestIsCurrent ? { outcome: 'keep' } : { outcome: 'change', address: { family: best.family, bytes: best.bytes } };
  }

  /** HAProxy moves the first record to the end "for internal round robin": it re-enters its own key's place. */
  private rotate(): void {
    const first = this.records.shift();
    if (!first) return;
    let at = this.records.findIndex((r) => r.key > first.key);
    if (at < 0) at = this.records.length;
    this.records.splice(at, 0, first);
  }
}
