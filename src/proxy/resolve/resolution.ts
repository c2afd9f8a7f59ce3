/**
 * One name being resolved for the servers that share it (HAProxy's struct
 * resolv_resolution, resolvers.c): its query state, the answer records it keeps, the
 * status of its last resolution and the servers (requesters) told of each outcome, in the
 * order they were linked.
 */
import { AnswerList, type AddressHolder } from './answer-list.js';
import type { QueryType } from './dns-message.js';

/** HAProxy's RSLV_STATUS_*; 'invalid' is held like 'other'. */
export type ResolutionStatus = 'none' | 'valid' | 'nx' | 'refused' | 'timeout' | 'other' | 'invalid';

export interface Requester extends AddressHolder {
  /** A valid response came (requester_cb): pick an address from `resolution.answers`. */
  resolved(resolution: Resolution, now: number): void;
  /** The resolution failed (requester_error_cb); true keeps the answer records. */
  failed(resolution: Resolution, now: number): boolean;
}

export class Resolution {
  readonly answers = new AnswerList();
  readonly requesters: Requester[] = [];
  status: ResolutionStatus = 'none';
  /** When the last valid response came (each hold counts from it); undefined: never. */
  lastValid?: number;
  /** When the last resolution ended; undefined: never run (the next pass runs it). */
  lastResolution?: number;
  lastQuery = 0;
  running = false;
  queryId = 0;
  queryType: QueryType;
  /** Queries left before a timeout (resolve_retries). */
  tries = 0;
  /** Nameservers asked and answers heard for the query in flight. */
  queries = 0;
  responses = 0;

  constructor(
    readonly hostname: string,
    readonly preferredType: QueryType,
  ) {
    this.queryType = preferredType;
  }

  /** The other family's query, HAProxy's fallback after a failed answer to the preferred one. */
  fallbackType(): QueryType {
    return this.preferredType === 'A' ? 'AAAA' : 'A';
  }

  /** resolv_reset_resolution: back to waiting, the next one `timeout resolve` from now. */
  reset(now: number): void {
    this.running = false;
    this.tries = 0;
    this.lastResolution = now;
    this.queries = 0;
    this.responses = 0;
    this.queryType = this.preferredType;
    this.queryId = 0;
  }

  /** Tells every requester of a failure; drops the records unless one keeps them. */
  reportError(now: number): void {
    let keep = false;
    for (const requester of this.requesters) keep = requester.failed(this, now) || keep;
    if (!keep) this.answers.clear();
    this.reset(now);
  }
}
