/**
 * The HTTP side of a frontend (`mode http`): keep-alive client connections, one routing
 * and balancing decision per request (http-request rules, stats, use_backend,
 * default_backend — see acl/evaluate.ts), then an Exchange carries the request to a
 * server with streamed bodies. Malformed requests get 400, slow headers 408.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { routeRequest, type RoutableProxy } from './acl/evaluate.js';
import { addressInNetwork, parseIp, parseNetwork, type IpNetwork } from './acl/ip.js';
import type { RequestFacts } from './acl/types.js';
import type { BindAddress, ProxySection } from './config/model.js';
import { tlsCredentials } from './tls/credentials.js';
import { rawErrorResponse, sendError } from './http-errors.js';
import { Exchange, type ExchangeOwner } from './http-exchange.js';
import { hasHeader, hostConflict } from './http-headers.js';
import { refusedHead } from './http-limits.js';
import { Counters, type RuntimeBackend } from './runtime.js';
import { serveStats, type StatsSource } from './stats-page.js';
import type { StickTables } from './stick-table/index.js';

export interface HttpContext {
  backends: ReadonlyMap<string, RuntimeBackend>;
  routables: ReadonlyMap<string, RoutableProxy>;
  stats: StatsSource;
  /** Present when some rule tracks stick counters: each request then gets its own. */
  stickTables?: StickTables;
}

export class HttpFrontend implements ExchangeOwner {
  readonly counters = new Counters();
  private readonly forwardExcept?: IpNetwork;

  constructor(
    readonly section: ProxySection,
    private readonly context: HttpContext,
  ) {
    const except = section.options.forwardFor?.except;
    this.forwardExcept = except ? parseNetwork(except) : undefined;
  }

  /** A listening server for one `bind` line; all of a frontend's binds share its rules and counters. */
  createServer(bind?: BindAddress): http.Server {
    const t = this.section.timeouts;
    const headersTimeout = t.httpRequest ?? t.client ?? 0;
    // `bind … ssl crt FILE`: the same server behind TLS (node:tls), the certificate and key from one PEM.
    const create = bind?.ssl ? (o: http.ServerOptions) => https.createServer({ ...o, ...tlsCredentials(bind.ssl!.crt) }) : http.createServer;
    const server = create({
      // Node answers 408 itself when headers take longer than this: `timeout http-request`.
      headersTimeout,
      requestTimeout: 0,
      // Node only looks for late headers on this beat (30 s by default): keep it close.
      connectionsCheckingInterval: headersTimeout ? Math.min(1000, Math.max(50, Math.floor(headersTimeout / 4))) : 30_000,
      keepAliveTimeout: t.httpKeepAlive ?? t.httpRequest ?? t.client ?? 5000,
    });
    // `timeout client`: an idle client connection is closed.
    server.timeout = t.client ?? 0;
    if (this.section.maxconn) server.maxConnections = this.section.maxconn;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.counters.open();
      socket.once('close', () => this.counters.close());
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.clientError(err, socket));
    return server;
  }

  private clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    this.counters.requestErrors++;
    this.counters.response(status);
    socket.end(rawErrorResponse(status));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.counters.requests++;
    const url = req.url ?? '/';
    if (hostConflict(url, req.rawHeaders) || refusedHead({ method: req.method ?? 'GET', url, httpVersionMajor: req.httpVersionMajor, rawHeaders: req.rawHeaders })) {
      this.counters.requestErrors++;
      this.responded(400);
      sendError(res, 400, true);
      return;
    }
    const facts: RequestFacts = {
      method: req.method ?? 'GET',
      uri: req.url ?? '/',
      headers: req.rawHeaders,
      sourceAddress: req.socket.remoteAddress ?? '',
      httpVersion: req.httpVersion,
      counters: this.context.stickTables?.forRequest(),
      tls: (req.socket as TLSSocket).encrypted === true,
    };
    const decision = routeRequest(this.section, facts, this.context.routables);
    switch (decision.action) {
      case 'deny':
        this.counters.deniedRequests++;
        this.answer(res, decision.status);
        return;
      case 'redirect':
        this.responded(decision.status);
        res.writeHead(decision.status, { location: decision.location, 'content-length': '0', 'cache-control': 'no-cache' }).end();
        return;
      case 'no-backend':
        this.answer(res, 503);
        return;
      case 'stats':
        this.responded(200);
        serveStats(res, this.context.stats, facts.uri, this.context.routables.get(decision.proxy)?.statsUri ?? '');
        return;
      case 'backend': {
        const backend = this.context.backends.get(decision.backend);
        if (!backend) {
          this.answer(res, 503);
          return;
        }
        new Exchange(this, backend, req, res, facts).start();
      }
    }
  }

  answer(res: ServerResponse, status: number): void {
    this.responded(status);
    sendError(res, status);
  }

  responded(status: number): void {
    this.counters.response(status);
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
}
