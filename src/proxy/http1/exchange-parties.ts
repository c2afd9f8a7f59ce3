/**
 * Who an exchange (exchange.ts) works for: the client connection it answers
 * (client-connection.ts), the frontend that counts its responses (http.ts), and the
 * request as the frontend prepared it for the backend.
 */
import type { PickContext } from '../balance/types.js';
import type { RuntimeServer } from '../runtime.js';
import type { RequestHead } from './request-head.js';

/** The client connection's side of an exchange (client-connection.ts). */
export interface ExchangeClient {
  readonly localPort: number;
  write(bytes: Buffer): boolean;
  pauseReading(): void;
  resumeReading(): void;
  /** Cuts the client off (after the response head went out, nothing else can be said). */
  cut(): void;
  /** The proxy answers this request itself (502, 503, 504…). */
  answer(status: number): void;
  /** The response is complete; `keepAlive`: the client connection may carry another request. */
  exchangeDone(keepAlive: boolean): void;
}

/** What the exchange reports to the frontend that received the request. */
export interface ExchangeOwner {
  responded(status: number): void;
}

/** A request's head and the upstream head built for it (per server only when Host is added). */
export interface OutgoingRequest {
  head: RequestHead;
  /** The client's address (persistence's stick table is keyed by it). */
  source: string;
  pick: PickContext;
  /** What persistence decided before balancing: a server to go to directly, and whether the cookie asks a refresh. */
  persisted?: { server?: RuntimeServer; refresh: boolean };
  /** The head for `server`: built once, unless the server's name goes into a missing Host. */
  upstreamHead(server: RuntimeServer): Buffer;
}
