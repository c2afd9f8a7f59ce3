/**
 * A lean keep-alive pool for one server without maxconn: what http.Agent does for a
 * keep-alive, unlimited, 'lifo' agent, without its per-request bookkeeping (socket names,
 * per-name maps, async-id resets, an agent-level 'free' event per request). Kept the same:
 *   - idle connections are reused most recent first, marked req.reusedSocket (the
 *     exchange retries a stale one on a fresh connection);
 *   - the server's `Keep-Alive: timeout=N` hint is honoured like Node 20's agent does:
 *     an idle connection is closed a second before the server would, or not kept at all
 *     when the hint is under two seconds;
 *   - TCP keep-alive and no Nagle, idle sockets unref'd, errors on idle sockets swallowed;
 *   - destroy() closes every connection, idle or busy.
 * Servers with maxconn keep Node's http.Agent: its request queue is the server queue.
 */
import http from 'node:http';
import net from 'node:net';

const POOL = Symbol('haplab.pool');
const IDLE = Symbol('haplab.idle');

type PooledSocket = net.Socket & { [POOL]?: PoolAgent; [IDLE]?: boolean };
type PoolRequest = http.ClientRequest & { timeout?: number };

export class PoolAgent extends http.Agent {
  private readonly idle: PooledSocket[] = [];
  private readonly all = new Set<PooledSocket>();

  constructor() {
    super({ keepAlive: true, scheduling: 'lifo' });
  }

  // ClientRequest calls this (duck-typed) with the request and its connect options.
  addRequest(req: PoolRequest, options: { host?: string | null; port?: number | string | null }): void {
    const idle = this.idle;
    let socket: PooledSocket | undefined;
    while ((socket = idle.pop()) !== undefined) {
      if (!socket.destroyed && socket.writable) break;
    }
    if (socket) {
      socket[IDLE] = false;
      socket.ref();
      (req as { reusedSocket: boolean }).reusedSocket = true;
      req.onSocket(socket);
      if (req.timeout !== undefined && req.timeout !== 0) socket.setTimeout(req.timeout);
      return;
    }
    const fresh: PooledSocket = net.connect({ host: options.host ?? 'localhost', port: Number(options.port), noDelay: true, keepAlive: true, keepAliveInitialDelay: 1000 });
    fresh[POOL] = this;
    fresh[IDLE] = false;
    this.all.add(fresh);
    fresh.on('free', onFree);
    fresh.on('close', onClose);
    fresh.on('timeout', onTimeout);
    fresh.on('error', onError);
    fresh.on('agentRemove', onAgentRemove);
    req.onSocket(fresh);
    if (req.timeout !== undefined && req.timeout !== 0) fresh.setTimeout(req.timeout);
  }

  /** A request finished with the connection kept alive (ClientRequest's 'free'). */
  release(socket: PooledSocket): void {
    if (socket.destroyed || !socket.writable || socket[POOL] !== this) return;
    let timeout = 0;
    const holder = socket as { _httpMessage?: { res?: IncomingLike } | null };
    const hint = holder._httpMessage?.res?.headers['keep-alive'];
    holder._httpMessage = null;
    if (hint) {
      const seconds = /^timeout=(\d+)/.exec(hint)?.[1];
      if (seconds) {
        timeout = Number.parseInt(seconds, 10) * 1000 - 1000;
        if (timeout <= 0) {
          socket.destroy();
          return;
        }
      }
    }
    if (socket.timeout !== timeout) socket.setTimeout(timeout);
    socket.unref();
    socket[IDLE] = true;
    this.idle.push(socket);
  }

  forget(socket: PooledSocket): void {
    this.all.delete(socket);
    socket[POOL] = undefined;
    if (socket[IDLE]) {
      socket[IDLE] = false;
      const k = this.idle.indexOf(socket);
      if (k >= 0) this.idle.splice(k, 1);
    }
  }

  override destroy(): void {
    for (const s of this.all) s.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}

interface IncomingLike {
  headers: Record<string, string | string[] | undefined> & { 'keep-alive'?: string };
}

function onFree(this: PooledSocket): void {
  this[POOL]?.release(this);
}

function onClose(this: PooledSocket): void {
  this[POOL]?.forget(this);
}

function onAgentRemove(this: PooledSocket): void {
  this[POOL]?.forget(this);
}

/** An idle connection timed out: close it (a busy one's timeout is the request's business). */
function onTimeout(this: PooledSocket): void {
  if (this[IDLE]) this.destroy();
}

/** While busy the request reports errors; while idle there is no one to tell. */
function onError(): void {}
