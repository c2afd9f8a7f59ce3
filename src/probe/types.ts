/**
 * What a probe request and its answer are: shared by the senders here (send.ts, agent.ts)
 * and by the runtimes' Probers (src/runtime/types.ts re-exports them). Kept in src/probe so
 * the probe, which also runs alone inside the docker runtime's probe container, needs
 * nothing above it.
 */
import type { ProxyKind } from '../lab-schema/types.js';

/** One request the verifier wants sent. */
export interface ProbeRequest {
  proxy: ProxyKind;
  frontend: string;
  method: string;
  /** Path with query string. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Send from this client address (needs a client pool that holds it). */
  sourceAddress?: string;
  /**
   * fresh: a new connection per request (default) · keepalive: reuse one connection per
   * client for the whole batch · tcp: raw TCP, one connection, an HTTP/1.0 request written by hand.
   */
  connection?: 'fresh' | 'keepalive' | 'tcp';
  /**
   * keepalive only: requests of the batch that name the same session (from the same client
   * address, to the same target) share one connection, and different sessions never do; a
   * session's connection is closed once its last request is answered. Default: one session.
   */
  session?: string;
  /**
   * HTTPS (a frontend that terminates TLS, ep13), on a fresh connection: the certificate
   * must chain to `ca` (PEM) alone — absent, to the system's authorities, which a lab's own
   * CA is not among — and be valid for the request's Host header, which is also the SNI.
   */
  tls?: { ca?: string };
}

export interface ProbeResponse {
  /** HTTP status; 0 when no response came. */
  status: number;
  /** The X-Served-By header: the app that answered. */
  servedBy?: string;
  body: string;
  /** Why no response came (connection refused, reset, timeout). */
  error?: string;
  /** The response headers ProbeBatchOptions.captureHeaders asked for (lower-case names; repeated ones joined by "\n"). */
  headers?: Record<string, string>;
  /** The client side of the TCP connection that carried it (address:port), when known. */
  connection?: string;
  /** Milliseconds since the batch started, when the request was sent and answered. */
  sentAtMs: number;
  doneAtMs: number;
}

export interface ProbeBatchOptions {
  /** The response header that names the server (default X-Served-By: haplab's apps set it). */
  servedByHeader?: string;
  /** Response headers to return with each answer (ep10: set-cookie, cache-control). */
  captureHeaders?: string[];
  /** Requests in flight at once. Default 1 (sequential). */
  concurrency?: number;
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /**
   * Each client waits this long after an answer before its next request. HAProxy releases a
   * stream (its server's `served` count) just after the client has the answer; random(N)
   * compares those counts, so back-to-back sequential requests would see a busy server.
   */
  pauseMs?: number;
}
