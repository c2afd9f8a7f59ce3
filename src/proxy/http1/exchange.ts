/**
 * One HTTP request's trip to a server on a pooled connection, with HAProxy 2.6's failure
 * handling (src/backend.c back_handle_st_cer, include/haproxy/stream.h
 * stream_choose_redispatch):
 *   - a failed connect is retried up to `retries` times; a retry on the same server waits
 *     min(timeout connect, 1 s); with `option redispatch` a retry may go to another server
 *     (RuntimeBackend.retryPlan);
 *   - all attempts failed: 503. Connected but the server closed without answering: 502, to
 *     this client only. Nothing heard within `timeout server`: 504. Once the response head
 *     went out, a failure can only cut this client's connection;
 *   - a kept-alive connection the server had closed meanwhile is retried on a fresh one,
 *     at once, when the request has no body.
 * The request body waits (client paused) until the connection is up, so a failed connect
 * leaves it intact for the retry. The response is forwarded as it arrives: head rewritten
 * (serialize.ts), body bytes passed through, with backpressure both ways.
 *
 * Its parties' interfaces are in exchange-parties.ts, chunk framing in serialize.ts. Still
 * longer than the project's ~300 lines on purpose: one hot-path class whose states (queue,
 * connect, retry, redispatch, send, relay the response, time out) share its fields; split
 * further it would add indirection to every request.
 */
import { keep } from '../read-buffer.js';
import type { RuntimeBackend, RuntimeServer } from '../runtime.js';
import type { BodyFramer } from './body.js';
import type { HeaderLines } from './header-lines.js';
import { parseResponseHead, type ResponseHead } from './response-head.js';
import type { ExchangeClient, ExchangeOwner, OutgoingRequest } from './exchange-parties.js';
import { chunkOf, clientResponseHead } from './serialize.js';
import type { ConnectionUser, ServerConnection, Waiter } from './server-pool.js';

export type { ExchangeClient, ExchangeOwner, OutgoingRequest } from './exchange-parties.js';

const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

export class Exchange implements ConnectionUser, Waiter {
  private server?: RuntimeServer;
  private conn?: ServerConnection;
  private retries = 0;
  /** The request head went out on the current connection. */
  private sent = false;
  private responded = false;
  private done = false;
  private requestDone: boolean;
  private readonly hasBody: boolean;
  private pendingBody: Buffer[] | undefined;
  private heard = false;
  private respBuf?: Buffer;
  private resp?: ResponseHead;
  /** The current connection's response parsing state (server-pool.ts). */
  private respLines?: HeaderLines;
  private respFramer?: BodyFramer;
  private chunkToClient = false;
  private clientKeepAlive = false;
  /** The server sent bytes past the response: its connection cannot be reused. */
  private trailingGarbage = false;
  /** Persistence chose the server, no redispatch moved the request since, no cookie refresh asked. */
  private direct = false;
  private connectTimer?: NodeJS.Timeout;
  private queueTimer?: NodeJS.Timeout;

  constructor(
    private readonly owner: ExchangeOwner,
    private readonly client: ExchangeClient,
    private readonly backend: RuntimeBackend,
    private readonly request: OutgoingRequest,
    firstBody: Buffer | undefined,
    bodyDone: boolean,
  ) {
    this.hasBody = request.head.contentLength > 0 || request.head.chunked;
    this.requestDone = bodyDone;
    this.pendingBody = firstBody && firstBody.length > 0 ? [firstBody] : undefined;
  }

  get responseStarted(): boolean {
    return this.responded;
  }

  start(): void {
    this.backend.counters.requests++;
    const persisted = this.request.persisted;
    if (persisted?.server) {
      // A persistent server is assigned, not balanced: the balancer and lbtot never see it.
      this.direct = !persisted.refresh;
      this.useServer(persisted.server, false);
    } else this.assign(undefined);
  }

  private assign(avoid: RuntimeServer | undefined): void {
    this.direct = false;
    const server = this.backend.pick(this.request.pick, avoid);
    if (!server) {
      this.fail(503);
      return;
    }
    this.useServer(server, true);
  }

  private useServer(server: RuntimeServer, picked: boolean): void {
    this.server = server;
    this.backend.take(server, picked);
    this.acquire();
  }

  private acquire(): void {
    const server = this.server!;
    const conn = server.pool.acquire(this, server.portFor(this.client.localPort), this);
    if (conn) {
      this.attach(conn);
      return;
    }
    // Over maxconn: queued, as in HAProxy's server queue, for `timeout queue` (else connect).
    const t = this.backend.section.timeouts;
    const queueTimeout = t.queue ?? t.connect;
    if (queueTimeout) this.queueTimer = setTimeout(onQueueTimeout, queueTimeout, this);
  }

  granted(): void {
    clearTimeout(this.queueTimer);
    if (!this.done) this.acquire();
  }

  queueTimedOut(): void {
    this.server?.pool.withdraw(this);
    this.fail(503);
  }

  private attach(conn: ServerConnection): void {
    this.conn = conn;
    this.sent = false;
    this.heard = false;
    this.respLines = conn.lines;
    this.respFramer = conn.framer;
    const t = this.backend.section.timeouts;
    conn.setTimeout(t.server ?? 0);
    if (conn.connected) this.sendRequest(conn);
    else if (t.connect) this.connectTimer = setTimeout(onConnectTimeout, t.connect, conn);
  }

  serverConnected(conn: ServerConnection): void {
    clearTimeout(this.connectTimer);
    if (conn === this.conn && !this.done) this.sendRequest(conn);
  }

  private sendRequest(conn: ServerConnection): void {
    this.sent = true;
    const head = this.request.upstreamHead(this.server!);
    const body = this.pendingBody;
    this.pendingBody = undefined;
    if (!body) {
      conn.socket.write(head);
    } else {
      conn.socket.cork();
      conn.socket.write(head);
      for (const part of body) conn.socket.write(part);
      conn.socket.uncork();
    }
    if (!this.requestDone) this.client.resumeReading();
  }

  /** Request body bytes from the client; `last`: the body is complete. */
  requestBody(chunk: Buffer, last: boolean): void {
    if (last) this.requestDone = true;
    if (this.done) return;
    const conn = this.conn;
    if (conn && this.sent) {
      if (chunk.length > 0 && !conn.socket.write(chunk)) this.client.pauseReading();
      return;
    }
    if (chunk.length > 0) (this.pendingBody ??= []).push(chunk);
    // Not connected yet: hold the client back until the request can go out.
    this.client.pauseReading();
  }

  serverDrained(): void {
    if (!this.requestDone) this.client.resumeReading();
  }

  clientDrained(): void {
    this.conn?.socket.resume();
  }

  serverData(conn: ServerConnection, chunk: Buffer): void {
    if (conn !== this.conn || this.done) return;
    this.heard = true;
    if (this.resp) {
      this.forwardBody(chunk, 0);
      return;
    }
    let buf = this.respBuf ? Buffer.concat([this.respBuf, chunk]) : chunk;
    for (;;) {
      const parsed = parseResponseHead(buf, this.respLines!, this.request.head.method === 'HEAD');
      if (parsed === 'incomplete') {
        // `chunk` is the shared read buffer: what waits for more bytes is copied.
        this.respBuf = keep(buf);
        return;
      }
      this.respBuf = undefined;
      if (parsed === 'bad') {
        this.countResponseError();
        this.fail(502);
        return;
      }
      if (parsed.status >= 200) {
        this.startResponse(buf, parsed);
        return;
      }
      // An interim answer (100 Continue…) goes to the client as it is; the real one follows.
      if (parsed.status === 101) {
        this.countResponseError();
        this.fail(502);
        return;
      }
      this.client.write(keep(buf.subarray(0, parsed.length)));
      if (parsed.length === buf.length) return;
      buf = buf.subarray(parsed.length);
    }
  }

  private startResponse(buf: Buffer, resp: ResponseHead): void {
    const head = this.request.head;
    this.resp = resp;
    let keepAlive = head.keepAlive && this.requestDone;
    this.chunkToClient = resp.body === 'close' && keepAlive && head.minor === 1;
    if (resp.body === 'close' && !this.chunkToClient) keepAlive = false;
    this.clientKeepAlive = keepAlive;
    if (resp.body === 'none') this.respFramer!.reset('length', 0);
    else this.respFramer!.reset(resp.body, resp.contentLength);
    const at = resp.length;
    const n = this.respFramer!.feed(buf, at, buf.length);
    if (n < 0) {
      this.countResponseError();
      this.fail(502);
      return;
    }
    if (at + n < buf.length) this.trailingGarbage = true;
    this.responded = true;
    this.owner.responded(resp.status);
    this.server!.counters.response(resp.status);
    this.backend.counters.response(resp.status);
    const added = this.backend.persistence?.response(this.server!, this.direct, this.request.source, head.method, resp.status, this.respLines!.rawPairs(buf));
    const framing = { chunk: this.chunkToClient, keepAlive, clientMinor: head.minor, added };
    const direct = this.chunkToClient ? 0 : n;
    const { out, at: bodyAt } = clientResponseHead(buf, resp, this.respLines!, framing, direct);
    if (direct > 0) buf.copy(out, bodyAt, at, at + n);
    let flowing = this.client.write(out);
    if (this.chunkToClient && n > 0) flowing = this.writeChunk(buf.subarray(at, at + n));
    if (this.respFramer!.done) this.complete();
    else if (!flowing) this.conn?.socket.pause();
  }

  /** `data` as one chunk of a chunked body: one buffer, one write (a copy of `data`). */
  private writeChunk(data: Buffer): boolean {
    return this.client.write(chunkOf(data));
  }

  private forwardBody(chunk: Buffer, start: number): void {
    const n = this.respFramer!.feed(chunk, start, chunk.length);
    if (n < 0) {
      this.countResponseError();
      this.cutClient();
      return;
    }
    if (start + n < chunk.length) this.trailingGarbage = true;
    if (n > 0) {
      const data = start === 0 && n === chunk.length ? chunk : chunk.subarray(start, start + n);
      // Copied: `chunk` is the shared read buffer (read-buffer.ts), and a write may be queued.
      const flowing = this.chunkToClient ? this.writeChunk(data) : this.client.write(keep(data));
      if (!flowing && !this.respFramer!.done) this.conn?.socket.pause();
    }
    if (this.respFramer!.done) this.complete();
  }

  serverEnded(conn: ServerConnection): void {
    if (conn !== this.conn || this.done || !this.resp) return;
    // A close-delimited body ends here.
    if (this.resp.body === 'close') {
      if (this.chunkToClient) this.client.write(LAST_CHUNK);
      this.trailingGarbage = true;
      this.complete();
    }
  }

  serverClosed(conn: ServerConnection): void {
    if (conn !== this.conn) return;
    clearTimeout(this.connectTimer);
    this.releaseConn(false);
    if (this.done) return;
    if (this.responded) {
      // The server died mid-response: the head is out, so cut off this client only.
      this.countResponseError();
      this.client.cut();
      this.finish();
      return;
    }
    const staleReuse = conn.reused && !this.heard && !this.hasBody;
    if (!conn.connected || staleReuse) {
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

  serverTimedOut(conn: ServerConnection): void {
    if (conn !== this.conn || this.done) return;
    if (this.responded) {
      this.cutClient();
      return;
    }
    this.fail(504);
  }

  /** The client went away before the response was complete. */
  clientClosed(): void {
    if (this.done) return;
    this.releaseConn(false);
    this.finish();
  }

  private complete(): void {
    const resp = this.resp!;
    this.releaseConn(resp.keepAlive && this.requestDone && !this.trailingGarbage, resp.keepAliveTimeout);
    this.finish();
    this.client.exchangeDone(this.clientKeepAlive);
  }

  private cutClient(): void {
    this.releaseConn(false);
    this.client.cut();
    this.finish();
  }

  private countResponseError(): void {
    this.server!.counters.responseErrors++;
    this.backend.counters.responseErrors++;
  }

  private releaseConn(reusable: boolean, idleTimeoutS = -1): void {
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    conn.user = undefined;
    if (reusable && conn.socket.isPaused()) conn.socket.resume();
    conn.pool.release(conn, reusable, idleTimeoutS);
  }

  private retry(staleReuse: boolean): void {
    const server = this.server!;
    this.backend.release(server);
    this.server = undefined;
    if (this.retries >= this.backend.section.retries) {
      this.fail(503);
      return;
    }
    this.retries++;
    const plan = this.backend.retryPlan(server, this.retries);
    this.backend.countRetry(server, plan.redispatch);
    // A stale kept-alive connection is not the server's fault: no turn-around delay.
    if (!plan.wait || staleReuse) this.next(server, plan.redispatch);
    else setTimeout(onRetryDelay, this.backend.retryDelay(), this, server, plan.redispatch);
  }

  next(server: RuntimeServer, redispatch: boolean): void {
    if (this.done) return;
    if (redispatch) this.assign(server);
    else this.useServer(server, false);
  }

  private fail(status: number): void {
    this.releaseConn(false);
    this.finish();
    if (this.responded) this.client.cut();
    else this.client.answer(status);
  }

  /** Releases the server exactly once. */
  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.connectTimer);
    clearTimeout(this.queueTimer);
    if (this.server) {
      this.server.pool.withdraw(this);
      this.backend.release(this.server);
    }
    this.server = undefined;
    this.pendingBody = undefined;
  }
}

function onQueueTimeout(exchange: Exchange): void {
  exchange.queueTimedOut();
}

/** No connection within `timeout connect`: treated as a refused connect. */
function onConnectTimeout(conn: ServerConnection): void {
  conn.socket.destroy();
}

function onRetryDelay(exchange: Exchange, server: RuntimeServer, redispatch: boolean): void {
  exchange.next(server, redispatch);
}
