/**
 * Connections to one server: fresh ones on demand, kept-alive ones reused most recent
 * first, and with `maxconn` a queue of exchanges waiting for a free slot (HAProxy's
 * server queue). A connection's socket events go to whoever holds it (its user); an idle
 * connection that hears anything, errs or closes is dropped. The server's
 * `Keep-Alive: timeout=N` hint is honoured as Node's agent did: an idle connection is
 * closed a second before the server would, or not kept when the hint is under 2 s.
 */
import net from 'node:net';
import { sharedReadBuffer } from '../read-buffer.js';
import { BodyFramer } from './body.js';
import { HeaderLines } from './header-lines.js';

/** What holds a busy connection: one exchange at a time. */
export interface ConnectionUser {
  serverConnected(conn: ServerConnection): void;
  /** Bytes from the server, in the shared read buffer (read-buffer.ts): valid during the call only. */
  serverData(conn: ServerConnection, chunk: Buffer): void;
  /** The server sent FIN (a close-delimited body ends here). */
  serverEnded(conn: ServerConnection): void;
  /** The connection is gone: refused, reset, destroyed. */
  serverClosed(conn: ServerConnection, error: boolean): void;
  serverTimedOut(conn: ServerConnection): void;
  serverDrained(conn: ServerConnection): void;
}

const CONNECTION = Symbol('haplab.serverConnection');
type Tagged = net.Socket & { [CONNECTION]?: ServerConnection };

export class ServerConnection {
  user?: ConnectionUser;
  /** The socket's inactivity timeout now (ms, 0: none), so it is only re-armed when it changes. */
  timeoutMs = 0;
  /** Response parsing state, reused by every exchange the connection carries. */
  readonly lines = new HeaderLines();
  readonly framer = new BodyFramer();
  /** Taken from the idle list rather than freshly connected. */
  reused = false;
  connected = false;
  idle = false;
  closed = false;
  readonly socket: Tagged;

  constructor(
    readonly pool: ServerPool,
    host: string,
    port: number,
  ) {
    // Reads land in the shared buffer and go straight to the user (no readable stream).
    const socket: Tagged = net.connect({
      host,
      port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 1000,
      onread: { buffer: sharedReadBuffer, callback: (n: number) => this.read(n) },
    });
    this.socket = socket;
    socket[CONNECTION] = this;
    socket.on('connect', onConnect);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    socket.on('drain', onDrain);
  }

  /** Always true: reading goes on (the user pauses the socket itself when it must). */
  private read(n: number): boolean {
    // An idle connection has nothing to say: whatever it sends makes it unusable.
    if (this.user) this.user.serverData(this, sharedReadBuffer.subarray(0, n));
    else this.socket.destroy();
    return true;
  }

  setTimeout(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }
}

export interface Waiter {
  /** A slot is free: acquire() will now hand out a connection. */
  granted(): void;
}

export class ServerPool {
  private readonly idle: ServerConnection[] = [];
  private readonly all = new Set<ServerConnection>();
  /** Connections handed out (connecting or carrying an exchange). */
  private busy = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    private host: string,
    /** 0: no limit. */
    private readonly maxconn: number,
    /** Keep connections for later exchanges (`option http-keep-alive`, the default). */
    readonly keepAlive: boolean,
  ) {}

  /**
   * A connection for `user` to `port`, or undefined when maxconn is reached: the waiter
   * is then queued and granted one later (withdraw() takes it back).
   */
  acquire(user: ConnectionUser, port: number, waiter?: Waiter): ServerConnection | undefined {
    if (this.maxconn > 0 && this.busy >= this.maxconn) {
      if (waiter) this.queue.push(waiter);
      return undefined;
    }
    return this.handOut(user, port);
  }

  private handOut(user: ConnectionUser, port: number): ServerConnection {
    this.busy++;
    let conn: ServerConnection | undefined;
    while ((conn = this.idle.pop()) !== undefined) {
      if (!conn.closed && conn.socket.writable) break;
    }
    if (conn) {
      conn.idle = false;
      conn.reused = true;
      conn.user = user;
      conn.socket.ref();
      return conn;
    }
    const fresh = new ServerConnection(this, this.host, port);
    fresh.user = user;
    this.all.add(fresh);
    return fresh;
  }

  /** The server's address changed (DNS): new connections go to `host`, idle ones to the old address close. */
  retarget(host: string): void {
    if (host === this.host) return;
    this.host = host;
    for (const conn of this.idle.splice(0)) {
      conn.idle = false;
      conn.socket.destroy();
    }
  }

  withdraw(waiter: Waiter): void {
    const k = this.queue.indexOf(waiter);
    if (k >= 0) this.queue.splice(k, 1);
  }

  /**
   * The exchange is over. `reusable`: the response ended cleanly and both sides agreed to
   * keep the connection; `idleTimeoutS`: the server's Keep-Alive hint (-1 when none).
   */
  release(conn: ServerConnection, reusable: boolean, idleTimeoutS: number): void {
    conn.user = undefined;
    this.busy--;
    let keep = reusable && this.keepAlive && !conn.closed && conn.socket.writable;
    let idleMs = 0;
    if (keep && idleTimeoutS >= 0) {
      idleMs = idleTimeoutS * 1000 - 1000;
      if (idleMs <= 0) keep = false;
    }
    if (!keep) conn.socket.destroy();
    else {
      // An idle connection must close before the server would (its hint); a shorter
      // timeout already armed (`timeout server`) does that too, so it is left running.
      if (idleMs > 0 && (conn.timeoutMs === 0 || idleMs < conn.timeoutMs)) conn.setTimeout(idleMs);
      conn.socket.unref();
      conn.idle = true;
      this.idle.push(conn);
    }
    this.queue.shift()?.granted();
  }

  /** Called by the connection when its socket closed. */
  forget(conn: ServerConnection): void {
    this.all.delete(conn);
    if (conn.idle) {
      conn.idle = false;
      const k = this.idle.indexOf(conn);
      if (k >= 0) this.idle.splice(k, 1);
    }
  }

  destroy(): void {
    for (const c of this.all) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
    this.queue.length = 0;
  }
}

function onConnect(this: Tagged): void {
  const conn = this[CONNECTION]!;
  conn.connected = true;
  conn.user?.serverConnected(conn);
}

function onEnd(this: Tagged): void {
  this[CONNECTION]!.user?.serverEnded(this[CONNECTION]!);
}

function onClose(this: Tagged, hadError: boolean): void {
  const conn = this[CONNECTION]!;
  conn.closed = true;
  conn.pool.forget(conn);
  const user = conn.user;
  conn.user = undefined;
  user?.serverClosed(conn, hadError);
}

/** Errors arrive as 'close' with hadError; an idle connection has no one to tell. */
function onError(): void {}

function onTimeout(this: Tagged): void {
  const conn = this[CONNECTION]!;
  if (conn.user) conn.user.serverTimedOut(conn);
  else this.destroy();
}

function onDrain(this: Tagged): void {
  this[CONNECTION]!.user?.serverDrained(this[CONNECTION]!);
}
