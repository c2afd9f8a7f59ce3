/**
 * The HTTP side of a frontend (`mode http`) on plain sockets: each client connection
 * (http1/client-connection.ts) parses its requests, and every request gets one decision
 * here, `decide` (http-request rules, stats, use_backend, default_backend — see
 * acl/evaluate.ts), then either the proxy's own answer or an Exchange
 * (http1/exchange.ts) that carries it to a server on a pooled connection.
 * `acceptConnection` takes any connected socket, so a TLS listener can hand its sockets
 * to the same code.
 */
import net from 'node:net';
import tls from 'node:tls';
import { routeRequest, type RoutableProxy } from './acl/evaluate.js';
import { addressInNetwork, parseIp, parseNetwork, type IpNetwork } from './acl/ip.js';
import type { RequestFacts, RouteDecision } from './acl/types.js';
import type { BindAddress, ProxySection } from './config/model.js';
import { hasHeader, uriAuthority } from './http-headers.js';
import { ClientConnection, type ConnectionOwner } from './http1/client-connection.js';
import { Exchange, type ExchangeOwner, type OutgoingRequest } from './http1/exchange.js';
import type { HeaderLines } from './http1/header-lines.js';
import { RequestPickContext } from './http1/pick-context.js';
import type { RequestHead } from './http1/request-head.js';
import { simpleResponse, upstreamRequestHead, type HeaderEdits } from './http1/serialize.js';
import { Counters, type RuntimeBackend, type RuntimeServer } from './runtime.js';
import { statsAnswer, type StatsSource } from './stats-page.js';
import type { StickTables } from './stick-table/index.js';
import { tlsCredentials } from './tls/credentials.js';

export interface HttpContext {
  backends: ReadonlyMap<string, RuntimeBackend>;
  routables: ReadonlyMap<string, RoutableProxy>;
  stats: StatsSource;
  /** Present when some rule tracks stick counters: each request then gets its own. */
  stickTables?: StickTables;
}

export class HttpFrontend implements ConnectionOwner, ExchangeOwner {
  readonly counters = new Counters();
  /** Open client connections: the sweep checks their timers, closing the proxy ends them. */
  readonly connections = new Set<ClientConnection>();
  private readonly forwardExcept?: IpNetwork;
  private readonly headersTimeout: number;
  private readonly keepAliveTimeout: number;
  private readonly clientTimeout: number;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    readonly section: ProxySection,
    private readonly context: HttpContext,
  ) {
    const except = section.options.forwardFor?.except;
    this.forwardExcept = except ? parseNetwork(except) : undefined;
    const t = section.timeouts;
    this.headersTimeout = t.httpRequest ?? t.client ?? 0;
    this.keepAliveTimeout = t.httpKeepAlive ?? t.httpRequest ?? t.client ?? 5000;
    this.clientTimeout = t.client ?? 0;
  }

  /** A listening server for one `bind` line; all of a frontend's binds share its rules and counters. */
  createServer(bind?: BindAddress): net.Server {
    // `bind … ssl crt FILE`: the same connections behind TLS (node:tls), certificate and key
    // from one PEM. Not half-open there: a client that leaves mid-handshake must not hold the
    // socket (it never reaches acceptConnection, so closing the proxy could not end it).
    const server = bind?.ssl
      ? tls.createServer({ noDelay: true, ...tlsCredentials(bind.ssl.crt) }, (socket) => this.acceptConnection(socket))
      : net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.acceptConnection(socket));
    if (bind?.ssl) this.trackHandshakes(server);
    if (this.section.maxconn) server.maxConnections = this.section.maxconn;
    server.once('close', () => this.stopSweep());
    return server;
  }

  /** Raw sockets of a TLS listener, handshakes included, so that closing the proxy ends them all. */
  private readonly handshaking = new Set<net.Socket>();

  private trackHandshakes(server: net.Server): void {
    server.on('connection', (raw: net.Socket) => {
      this.handshaking.add(raw);
      raw.once('close', () => this.handshaking.delete(raw));
    });
  }

  /** Serves HTTP/1.x on a connected socket (plain or TLS). */
  acceptConnection(socket: net.Socket): void {
    this.counters.open();
    this.connections.add(new ClientConnection(socket, this, this.clientTimeout));
    this.startSweep();
  }

  /** The one per-request decision: deny, stats, no backend, or the backend to use. */
  decide(facts: RequestFacts): RouteDecision {
    return routeRequest(this.section, facts, this.context.routables);
  }

  serve(conn: ClientConnection, head: RequestHead, buf: Buffer, lines: HeaderLines, firstBody: Buffer | undefined, bodyDone: boolean): Exchange | undefined {
    this.counters.requests++;
    const facts: RequestFacts = {
      method: head.method,
      uri: head.uri,
      headers: head.rawHeaders,
      sourceAddress: conn.remoteAddress,
      httpVersion: head.minor === 1 ? '1.1' : '1.0',
      counters: this.context.stickTables?.forRequest(),
      tls: conn.tls,
    };
    const decision = this.decide(facts);
    switch (decision.action) {
      case 'deny':
        this.counters.deniedRequests++;
        conn.answer(decision.status);
        return undefined;
      case 'redirect': {
        this.responded(decision.status);
        const keepAlive = conn.keepAliveAfterAnswer();
        const headers = ['location', decision.location, 'content-length', '0', 'cache-control', 'no-cache'];
        conn.answerWith(simpleResponse(decision.status, REDIRECT_REASON[decision.status] ?? 'Found', headers, EMPTY, keepAlive, head.method === 'HEAD'), keepAlive);
        return undefined;
      }
      case 'no-backend':
        conn.answer(503);
        return undefined;
      case 'stats': {
        this.responded(200);
        const prefix = this.context.routables.get(decision.proxy)?.statsUri ?? '';
        const page = statsAnswer(this.context.stats, facts.uri, prefix);
        const keepAlive = conn.keepAliveAfterAnswer();
        conn.answerWith(simpleResponse(200, 'OK', page.headers, page.body, keepAlive, head.method === 'HEAD'), keepAlive);
        return undefined;
      }
      case 'backend': {
        const backend = this.context.backends.get(decision.backend);
        if (!backend) {
          conn.answer(503);
          return undefined;
        }
        const request = new Outgoing(head, buf, lines, facts, backend, this.forwardedFor(backend, facts));
        return new Exchange(this, conn, backend, request, firstBody, bodyDone);
      }
    }
  }

  badRequest(status: number): void {
    this.counters.requestErrors++;
    this.counters.response(status);
  }

  responded(status: number): void {
    this.counters.response(status);
  }

  closed(conn: ClientConnection): void {
    this.counters.close();
    this.connections.delete(conn);
    if (this.connections.size === 0) this.stopSweep();
  }

  /** The X-Forwarded-For line for this client, when `option forwardfor` (frontend or backend) asks. */
  forwardedFor(backend: RuntimeBackend, facts: RequestFacts): { header: string; value: string } | undefined {
    const ff = this.section.options.forwardFor ?? backend.section.options.forwardFor;
    if (!ff) return undefined;
    const except = this.section.options.forwardFor ? this.forwardExcept : backend.forwardExcept;
    if (except) {
      const ip = parseIp(facts.sourceAddress);
      if (ip && addressInNetwork(ip, except)) return undefined;
    }
    if (ff.ifNone && hasHeader(facts.headers as readonly string[], ff.header.toLowerCase())) return undefined;
    return { header: ff.header, value: facts.sourceAddress };
  }

  /**
   * Timers of waiting connections, checked on one beat rather than one timer per request
   * (as Node's server did): a head unfinished after `timeout http-request` (else `timeout
   * client`) gets 408, an idle keep-alive connection is closed after `timeout
   * http-keep-alive` (else http-request, client, 5 s).
   */
  private startSweep(): void {
    if (this.sweepTimer) return;
    const shortest = Math.min(this.headersTimeout || Infinity, this.keepAliveTimeout || Infinity);
    if (shortest === Infinity) return;
    const beat = Math.min(1000, Math.max(50, Math.floor(shortest / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), beat);
    this.sweepTimer.unref();
  }

  private stopSweep(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const conn of this.connections) {
      if (!conn.waitingForHead) continue;
      if (conn.headStartedAt && this.headersTimeout && now - conn.headStartedAt >= this.headersTimeout) conn.headTimedOut();
      else if (conn.idleSince && this.keepAliveTimeout && now - conn.idleSince >= this.keepAliveTimeout) conn.idleTimedOut();
    }
  }

  /** Ends every client connection (the proxy is closing). */
  destroyConnections(): void {
    for (const conn of this.connections) conn.socket.destroy();
    for (const raw of this.handshaking) raw.destroy();
  }
}

/**
 * The request as it goes upstream; its head is built once, or per server when Host is
 * added. A class rather than an object of closures: one allocation per request.
 */
class Outgoing implements OutgoingRequest {
  readonly source: string;
  readonly pick: RequestPickContext;
  readonly persisted?: { server?: RuntimeServer; refresh: boolean };
  private readonly keepAlive: boolean;
  private readonly authority: string | undefined;
  private readonly edits: HeaderEdits | undefined;
  private built?: Buffer;
  private builtFor?: RuntimeServer;

  constructor(
    readonly head: RequestHead,
    private readonly buf: Buffer,
    private readonly lines: HeaderLines,
    facts: RequestFacts,
    backend: RuntimeBackend,
    private readonly forwardedFor: { header: string; value: string } | undefined,
  ) {
    this.source = facts.sourceAddress;
    this.pick = new RequestPickContext(facts.sourceAddress, facts.uri, head.rawHeaders);
    this.keepAlive = backend.section.options.httpKeepAlive;
    this.authority = head.hasHost ? undefined : uriAuthority(head.uri);
    // `http-request set-header` rules edit facts.headers; persistence (persist/) may name the
    // server and take its own cookie out of what the server sees.
    const ruled = facts.headers as readonly string[];
    const persisted = backend.persistence?.request(ruled, facts.sourceAddress);
    if (persisted) this.persisted = { server: persisted.server, refresh: persisted.refresh };
    const sent = persisted?.rawHeaders ?? ruled;
    this.edits = sent !== head.rawHeaders ? headerEdits(head.rawHeaders, sent) : undefined;
  }

  upstreamHead(server: RuntimeServer): Buffer {
    const head = this.head;
    const perServer = !head.hasHost && this.authority === undefined;
    if (this.built && (!perServer || this.builtFor === server)) return this.built;
    const host = head.hasHost ? undefined : (this.authority ?? server.hostHeader);
    this.built = upstreamRequestHead(this.buf, head, this.lines, { host, forwardedFor: this.forwardedFor, keepAlive: this.keepAlive, edits: this.edits });
    this.builtFor = server;
    return this.built;
  }
}

const EMPTY = Buffer.alloc(0);
const REDIRECT_REASON: Record<number, string> = { 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect' };

/**
 * What the server must see instead of the client's lines: every header name whose values
 * changed loses its lines, and its new values go at the end (as HAProxy's set-header does).
 */
export function headerEdits(original: readonly string[], edited: readonly string[]): HeaderEdits | undefined {
  const values = (raw: readonly string[]) => {
    const byName = new Map<string, string[]>();
    for (let k = 0; k + 1 < raw.length; k += 2) {
      const name = raw[k]!.toLowerCase();
      (byName.get(name) ?? byName.set(name, []).get(name)!).push(raw[k + 1]!);
    }
    return byName;
  };
  const before = values(original);
  const after = values(edited);
  const drop = [...new Set([...before.keys(), ...after.keys()])].filter((n) => (before.get(n) ?? []).join('\n') !== (after.get(n) ?? []).join('\n'));
  if (drop.length === 0) return undefined;
  const add: string[] = [];
  for (let k = 0; k + 1 < edited.length; k += 2) if (drop.includes(edited[k]!.toLowerCase())) add.push(edited[k]!, edited[k + 1]!);
  return { drop, add };
}
