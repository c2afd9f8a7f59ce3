/**
 * The TCP side of a frontend (`mode tcp`): one routing and balancing decision per
 * connection, then bytes forwarded both ways with backpressure. A half-close is passed on
 * (the client's FIN becomes ours to the server, and back), and the pair is closed when
 * either socket has closed (both its directions done, or an error), or a side stays idle
 * past its timeout (`timeout tunnel`, else `timeout client` / `timeout server`).
 * Failed connects are retried like in HTTP mode (see http1/exchange.ts).
 */
import net, { type Socket } from 'node:net';
import { routeRequest, type RoutableProxy } from './acl/evaluate.js';
import type { RequestFacts } from './acl/types.js';
import type { ProxySection } from './config/model.js';
import { OwnReadBuffer } from './read-buffer.js';
import { Counters, type RuntimeBackend, type RuntimeServer } from './runtime.js';
import { inspectContent } from './tcp-inspect.js';

export interface TcpContext {
  backends: ReadonlyMap<string, RuntimeBackend>;
  routables: ReadonlyMap<string, RoutableProxy>;
}

export class TcpFrontend {
  readonly counters = new Counters();
  /** Open client connections, so that closing the proxy can end them. */
  readonly sockets = new Set<Socket>();

  constructor(
    readonly section: ProxySection,
    private readonly context: TcpContext,
  ) {}

  /** A listening server for one `bind` line. */
  createServer(): net.Server {
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.accept(socket));
    if (this.section.maxconn) server.maxConnections = this.section.maxconn;
    return server;
  }

  private accept(client: Socket): void {
    this.counters.open();
    this.sockets.add(client);
    client.once('close', () => {
      this.counters.close();
      this.sockets.delete(client);
    });
    client.on('error', () => client.destroy());
    const facts: RequestFacts = { method: '', uri: '', headers: [], sourceAddress: client.remoteAddress ?? '', layer4Only: true };
    const inspect = this.section.tcpRequest;
    if (inspect && inspect.content.length > 0) {
      inspectContent(client, facts, inspect, (accepted) => (accepted ? this.route(client, facts) : client.destroy()));
      return;
    }
    this.route(client, facts);
  }

  private route(client: Socket, facts: RequestFacts): void {
    const decision = routeRequest(this.section, facts, this.context.routables);
    const backend = decision.action === 'backend' ? this.context.backends.get(decision.backend) : undefined;
    if (!backend) {
      client.destroy();
      return;
    }
    new TcpSession(client, backend, facts.sourceAddress).start();
  }
}

class TcpSession {
  private server?: RuntimeServer;
  private upstream?: Socket;
  private retries = 0;
  private done = false;
  private connectTimer?: NodeJS.Timeout;
  private readonly pick: { sourceAddress: string };
  private readonly reads = new OwnReadBuffer();

  constructor(
    private readonly client: Socket,
    private readonly backend: RuntimeBackend,
    sourceAddress: string,
  ) {
    this.pick = { sourceAddress };
  }

  start(): void {
    const t = this.backend.section.timeouts;
    const clientTimeout = t.tunnel ?? t.client;
    if (clientTimeout) this.client.setTimeout(clientTimeout, () => this.close());
    this.client.once('close', () => this.close());
    this.assign(undefined);
  }

  private assign(avoid: RuntimeServer | undefined): void {
    const server = this.backend.pick(this.pick, avoid);
    if (!server) {
      this.close();
      return;
    }
    this.connect(server, true);
  }

  private connect(server: RuntimeServer, picked: boolean): void {
    this.server = server;
    this.backend.take(server, picked);
    const t = this.backend.section.timeouts;
    // The server's bytes land in this session's own read buffer (read-buffer.ts) and go
    // straight to the client: no readable stream, and no copy unless the client is behind.
    const upstream: Socket = net.connect({
      host: server.address,
      port: server.portFor(this.client.localPort ?? 0),
      allowHalfOpen: true,
      noDelay: true,
      onread: { buffer: this.reads.next, callback: (n: number): boolean => this.toClient(upstream, n) },
    });
    this.upstream = upstream;
    if (t.connect) this.connectTimer = setTimeout(() => upstream.destroy(new Error('connect timeout')), t.connect);
    const onConnectError = () => this.connectFailed(upstream);
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      clearTimeout(this.connectTimer);
      upstream.removeListener('error', onConnectError);
      if (this.done) {
        upstream.destroy();
        return;
      }
      this.established(upstream);
    });
  }

  private established(upstream: Socket): void {
    const t = this.backend.section.timeouts;
    const serverTimeout = t.tunnel ?? t.server;
    if (serverTimeout) upstream.setTimeout(serverTimeout, () => this.close());
    upstream.on('error', () => this.close());
    // A socket closes by itself once both of its directions are done, and then nothing is
    // left to carry for the other one.
    upstream.once('close', () => this.close());
    this.client.setNoDelay(true);
    forward(this.client, upstream);
    serverReads(upstream, this.client);
    this.client.resume();
  }

  /** `n` bytes read from the server. Nothing reads before 'connect', when the client is connected already. */
  private toClient(upstream: Socket, n: number): boolean {
    if (!this.reads.writeTo(this.client, n)) upstream.pause();
    return true;
  }

  private connectFailed(upstream: Socket): void {
    clearTimeout(this.connectTimer);
    upstream.destroy();
    if (this.done) return;
    const server = this.server!;
    server.counters.connectionErrors++;
    this.backend.counters.connectionErrors++;
    this.backend.release(server);
    this.server = undefined;
    this.upstream = undefined;
    if (this.retries >= this.backend.section.retries) {
      this.close();
      return;
    }
    this.retries++;
    const plan = this.backend.retryPlan(server, this.retries);
    const next = plan.redispatch ? () => this.assign(server) : () => this.connect(server, false);
    this.backend.countRetry(server, plan.redispatch);
    if (!plan.wait) {
      next();
      return;
    }
    setTimeout(() => {
      if (!this.done) next();
    }, this.backend.retryDelay());
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.connectTimer);
    this.client.destroy();
    this.upstream?.destroy();
    if (this.server) this.backend.release(this.server);
    this.server = undefined;
  }
}

const PEER = Symbol('haplab.tcpPeer');
type Peered = Socket & { [PEER]?: Socket };

/**
 * Carries `from`'s bytes to `to` as they arrive, pausing `from` while `to` has a full
 * write buffer, and passes `from`'s FIN on: what pipe() does, with two shared listeners
 * per direction instead of its stream bookkeeping.
 */
function forward(from: Peered, to: Peered): void {
  from[PEER] = to;
  from.on('data', onForwardData);
  from.once('end', onForwardEnd);
  to.on('drain', onForwardDrain);
}

/** The server's side, which reads through `onread` (TcpSession.toClient): its FIN, and resuming it. */
function serverReads(from: Peered, to: Peered): void {
  from[PEER] = to;
  from.once('end', onForwardEnd);
  to.on('drain', onForwardDrain);
}

function onForwardData(this: Peered, chunk: Buffer): void {
  const to = this[PEER]!;
  if (!to.write(chunk)) this.pause();
}

function onForwardEnd(this: Peered): void {
  this[PEER]!.end();
}

/** `this` can take more: resume the socket that feeds it (its peer). */
function onForwardDrain(this: Peered): void {
  this[PEER]?.resume();
}
