/**
 * One HTTP request's trip to a server, with HAProxy 2.6's failure handling
 * (src/backend.c back_handle_st_cer, include/haproxy/stream.h stream_choose_redispatch):
 *   - a failed connect is retried up to `retries` times; a retry on the same server
 *     waits min(timeout connect, 1 s);
 *   - with `option redispatch`, a retry goes to another server when the server is down,
 *     on the retries the interval selects (by default the last one), or every time when
 *     the algorithm is not a hash and other servers are up (RuntimeBackend.retryPlan);
 *   - all attempts failed: 503. Connected but the server closed without answering: 502,
 *     to this client only. Nothing heard within `timeout server`: 504. Once response
 *     headers went out, a failure can only cut this client's connection.
 * The body only starts flowing once a connection is up, so a failed connect leaves it
 * intact for the retry. Handlers are shared functions that find the exchange through a
 * symbol property: a request costs a few objects, not a fresh set of closures.
 *
 * Longer than the project's ~300 lines on purpose: one hot-path class whose states (connect,
 * retry, redispatch, stream the body, time out) share fields; split across files it would
 * add indirection to every request.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestFacts } from './acl/types.js';
import type { PickContext } from './balance/types.js';
import { endToEndHeaders, upstreamRequestHeaders } from './http-headers.js';
import type { RuntimeBackend, RuntimeServer } from './runtime.js';

const EXCHANGE = Symbol('haplab.exchange');

type Tagged<T> = T & { [EXCHANGE]?: Exchange };

/** What the exchange needs from the frontend that received the request. */
export interface ExchangeOwner {
  answer(res: ServerResponse, status: number): void;
  responded(status: number): void;
  forwardedFor(backend: RuntimeBackend, facts: RequestFacts): { header: string; value: string } | undefined;
}

/** What the balancer may read from a request, without a closure per request. */
class RequestPickContext implements PickContext {
  constructor(
    readonly sourceAddress: string,
    readonly uri: string,
    private readonly rawHeaders: readonly string[],
  ) {}

  header(name: string): string | undefined {
    const raw = this.rawHeaders;
    const lower = name.toLowerCase();
    for (let k = 0; k < raw.length; k += 2) if (raw[k]!.toLowerCase() === lower) return raw[k + 1];
    return undefined;
  }
}

class ProxyTimeoutError extends Error {
  constructor(readonly code: 'HAPLAB_CONNECT_TIMEOUT' | 'HAPLAB_QUEUE_TIMEOUT') {
    super(code === 'HAPLAB_CONNECT_TIMEOUT' ? 'connect timeout' : 'queue timeout');
  }
}

export class Exchange {
  private server?: RuntimeServer;
  private upstream?: Tagged<http.ClientRequest>;
  private upstreamResponse?: IncomingMessage;
  /** HAProxy's conn_retries: how many retries were already made. */
  private retries = 0;
  private connected = false;
  private responded = false;
  private done = false;
  private connectTimer?: NodeJS.Timeout;
  private queueTimer?: NodeJS.Timeout;
  private readonly pick: RequestPickContext;
  private readonly hasBody: boolean;

  constructor(
    private readonly owner: ExchangeOwner,
    private readonly backend: RuntimeBackend,
    private readonly req: IncomingMessage,
    private readonly res: Tagged<ServerResponse>,
    private readonly facts: RequestFacts,
  ) {
    this.pick = new RequestPickContext(facts.sourceAddress, facts.uri, req.rawHeaders);
    const length = req.headers['content-length'];
    this.hasBody = length !== undefined ? length !== '0' : req.headers['transfer-encoding'] !== undefined;
    res[EXCHANGE] = this;
    res.once('close', onClientClose);
  }

  start(): void {
    this.backend.counters.requests++;
    this.assign(undefined);
  }

  /** Picks a server (avoiding `avoid` on a redispatch) and connects; 503 when none is usable. */
  private assign(avoid: RuntimeServer | undefined): void {
    const server = this.backend.pick(this.pick, avoid);
    if (!server) {
      this.fail(503);
      return;
    }
    this.useServer(server, true);
  }

  private useServer(server: RuntimeServer, picked: boolean): void {
    this.server = server;
    this.backend.take(server, picked);
    const section = this.backend.section;
    let upstream: Tagged<http.ClientRequest>;
    try {
      upstream = http.request({
        agent: server.agent,
        host: server.config.host,
        port: server.portFor(this.req.socket.localPort ?? 80),
        method: this.facts.method,
        path: this.facts.uri,
        setHost: false,
        headers: upstreamRequestHeaders(
          this.facts.method,
          this.facts.uri,
          // The request as the rules left it (set-header); the raw one when no rule changed it.
          this.facts.headers as readonly string[],
          this.owner.forwardedFor(this.backend, this.facts),
          server.hostHeader,
        ),
      });
    } catch {
      // Node refuses a few request targets HAProxy would pass on; answer as to a bad request.
      this.fail(400);
      return;
    }
    this.upstream = upstream;
    this.connected = false;
    upstream[EXCHANGE] = this;
    upstream.on('socket', onUpstreamSocket);
    upstream.on('response', onUpstreamResponse);
    upstream.on('error', onUpstreamError);
    if (section.timeouts.server) upstream.setTimeout(section.timeouts.server, onUpstreamTimeout);
    if (server.config.maxconn) {
      // Over maxconn the agent queues the request, as HAProxy's server queue does.
      const queueTimeout = section.timeouts.queue ?? section.timeouts.connect;
      if (queueTimeout) this.queueTimer = setTimeout(onQueueTimeout, queueTimeout, this);
    }
  }

  socketAssigned(socket: Tagged<Socket>): void {
    clearTimeout(this.queueTimer);
    if (!socket.connecting) {
      this.connectedNow();
      return;
    }
    const connectTimeout = this.backend.section.timeouts.connect;
    if (connectTimeout) this.connectTimer = setTimeout(onConnectTimeout, connectTimeout, this);
    socket[EXCHANGE] = this;
    socket.once('connect', onUpstreamConnect);
  }

  connectedNow(): void {
    clearTimeout(this.connectTimer);
    if (this.connected || this.done || !this.upstream) return;
    this.connected = true;
    if (this.hasBody) this.req.pipe(this.upstream);
    else this.upstream.end();
  }

  timedOut(code: 'HAPLAB_CONNECT_TIMEOUT' | 'HAPLAB_QUEUE_TIMEOUT'): void {
    this.upstream?.destroy(new ProxyTimeoutError(code));
  }

  response(upstreamRes: Tagged<IncomingMessage>): void {
    if (this.done) {
      upstreamRes.resume();
      return;
    }
    this.upstreamResponse = upstreamRes;
    this.responded = true;
    const status = upstreamRes.statusCode ?? 502;
    const res = this.res;
    res.sendDate = false; // HAProxy adds no Date header of its own
    try {
      res.writeHead(status, upstreamRes.statusMessage, endToEndHeaders(upstreamRes.rawHeaders));
    } catch {
      // A header Node will not send (invalid characters): HAProxy calls that a bad response.
      this.countResponseError();
      upstreamRes.destroy();
      this.fail(502);
      return;
    }
    this.owner.responded(status);
    this.server!.counters.response(status);
    this.backend.counters.response(status);
    upstreamRes[EXCHANGE] = this;
    upstreamRes.once('close', onUpstreamResponseClose);
    // A hand-made pipe: two shared listeners instead of Readable.pipe's seven per response.
    upstreamRes.on('data', onUpstreamData);
    upstreamRes.once('end', onUpstreamEnd);
  }

  /** A response body chunk; holds the server back while the client does not read. */
  responseData(upstreamRes: IncomingMessage, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      upstreamRes.pause();
      this.res.once('drain', onClientDrain);
    }
  }

  responseEnd(): void {
    this.res.end();
  }

  clientDrained(): void {
    this.upstreamResponse?.resume();
  }

  /** The server's response ended, completely or not. */
  responseClosed(upstreamRes: IncomingMessage): void {
    if (!upstreamRes.complete && !this.done) {
      // The server died mid-response: the headers are out, so cut off this client only.
      this.countResponseError();
      this.res.destroy();
    }
    this.finish();
  }

  upstreamError(err: NodeJS.ErrnoException): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.queueTimer);
    if (this.done) return;
    if (this.responded) {
      this.res.destroy();
      this.finish();
      return;
    }
    if (err.code === 'HAPLAB_QUEUE_TIMEOUT') {
      this.fail(503);
      return;
    }
    // A kept-alive connection the server had already closed: retry on a fresh one, at once.
    const staleReuse = this.upstream?.reusedSocket === true && !this.hasBody;
    if (!this.connected || staleReuse) {
      if (!staleReuse) {
        this.server!.counters.connectionErrors++;
        this.backend.counters.connectionErrors++;
      }
      this.retry(staleReuse);
      return;
    }
    // Connected and the request sent, but no response: 502 for this client only.
    this.countResponseError();
    this.fail(502);
  }

  private countResponseError(): void {
    this.server!.counters.responseErrors++;
    this.backend.counters.responseErrors++;
  }

  private dropUpstream(): void {
    const old = this.upstream;
    this.upstream = undefined;
    if (old) {
      old[EXCHANGE] = undefined;
      old.destroy();
    }
  }

  private retry(staleReuse: boolean): void {
    const server = this.server!;
    this.dropUpstream();
    this.backend.release(server);
    this.server = undefined;
    if (this.retries >= this.backend.section.retries) {
      this.fail(503);
      return;
    }
    this.retries++;
    const plan = this.backend.retryPlan(server, this.retries);
    const next = plan.redispatch ? () => this.assign(server) : () => this.useServer(server, false);
    this.backend.countRetry(server, plan.redispatch);
    // A stale kept-alive connection is not the server's fault: no turn-around delay.
    if (!plan.wait || staleReuse) {
      next();
      return;
    }
    setTimeout(() => {
      if (!this.done) next();
    }, this.backend.retryDelay());
  }

  serverTimedOut(): void {
    if (this.done) return;
    if (this.responded) {
      this.dropUpstream();
      this.res.destroy();
      this.finish();
      return;
    }
    this.fail(504);
  }

  /** The client side closed: after a full response, or because the client went away. */
  clientClosed(): void {
    if (this.done) return;
    if (!this.res.writableFinished) {
      this.dropUpstream();
      this.upstreamResponse?.destroy();
    }
    this.finish();
  }

  private fail(status: number): void {
    this.finish();
    this.dropUpstream();
    if (!this.res.destroyed && !this.res.writableEnded) this.owner.answer(this.res, status);
  }

  /** Releases the server exactly once. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.connectTimer);
    clearTimeout(this.queueTimer);
    if (this.server) this.backend.release(this.server);
    this.server = undefined;
  }
}

function onClientClose(this: Tagged<ServerResponse>): void {
  this[EXCHANGE]?.clientClosed();
}

function onUpstreamSocket(this: Tagged<http.ClientRequest>, socket: Socket): void {
  this[EXCHANGE]?.socketAssigned(socket);
}

function onUpstreamConnect(this: Tagged<Socket>): void {
  const exchange = this[EXCHANGE];
  this[EXCHANGE] = undefined;
  exchange?.connectedNow();
}

function onUpstreamResponse(this: Tagged<http.ClientRequest>, res: IncomingMessage): void {
  this[EXCHANGE]?.response(res);
}

function onUpstreamError(this: Tagged<http.ClientRequest>, err: NodeJS.ErrnoException): void {
  this[EXCHANGE]?.upstreamError(err);
}

function onUpstreamTimeout(this: Tagged<http.ClientRequest>): void {
  this[EXCHANGE]?.serverTimedOut();
}

function onUpstreamData(this: Tagged<IncomingMessage>, chunk: Buffer): void {
  this[EXCHANGE]?.responseData(this, chunk);
}

function onUpstreamEnd(this: Tagged<IncomingMessage>): void {
  this[EXCHANGE]?.responseEnd();
}

function onClientDrain(this: Tagged<ServerResponse>): void {
  this[EXCHANGE]?.clientDrained();
}

function onUpstreamResponseClose(this: Tagged<IncomingMessage>): void {
  this[EXCHANGE]?.responseClosed(this);
}

function onConnectTimeout(exchange: Exchange): void {
  exchange.timedOut('HAPLAB_CONNECT_TIMEOUT');
}

function onQueueTimeout(exchange: Exchange): void {
  exchange.timedOut('HAPLAB_QUEUE_TIMEOUT');
}
