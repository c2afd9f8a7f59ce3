/**
 * A backend's session persistence (cookie.ts, stick-table.ts) behind the two calls the
 * HTTP exchange makes: `request` before balancing (which server persistence names, and the
 * headers the server should see), `response` when the server answers (headers to add, and
 * the stick-table entry to store). Backends without `cookie` or `stick on` get none.
 */
import type { PersistenceConfig } from '../config/model.js';
import { cookieRequest, cookieResponse, type CookieServer } from './cookie.js';
import { StickTable, stickKey } from './stick-table.js';

export interface PersistServer extends CookieServer {
  readonly id: number;
}

export interface PersistedRequest<S> {
  /** Where persistence sends the request (directly, without the balancer), if anywhere. */
  server?: S;
  /** The request headers for the server (Node's rawHeaders form). */
  rawHeaders: readonly string[];
  /** The cookie asks for a fresh Set-Cookie even if the request goes directly (cookie.ts). */
  refresh: boolean;
}

export class BackendPersistence<S extends PersistServer> {
  private readonly table?: StickTable;

  constructor(
    private readonly config: PersistenceConfig,
    private readonly servers: readonly S[],
  ) {
    const t = config.stick.table;
    if (t && config.stick.rules.length > 0) this.table = new StickTable(t.size, t.expireMs);
  }

  request(rawHeaders: readonly string[], sourceAddress: string): PersistedRequest<S> {
    let server: S | undefined;
    let headers = rawHeaders;
    let refresh = false;
    if (this.config.cookie) ({ server, rawHeaders: headers, refresh } = cookieRequest(this.config.cookie, this.servers, rawHeaders));
    if (this.table) {
      // Looked up (and touched) even when the cookie already chose: HAProxy touches it too.
      const entry = this.table.lookup(stickKey(sourceAddress));
      if (entry && server === undefined) server = this.servers.find((s) => s.id === entry.serverId && s.up);
    }
    return { server, rawHeaders: headers, refresh };
  }

  /**
   * A server answered: the headers to add to its response (Node's rawHeaders form).
   * `direct`: persistence chose it and the request was not redispatched.
   */
  response(server: S, direct: boolean, sourceAddress: string, method: string, status: number, responseHeaders: readonly string[]): string[] {
    this.table?.store(stickKey(sourceAddress), server.id);
    return this.config.cookie ? cookieResponse(this.config.cookie, server, direct, method, status, responseHeaders) : [];
  }
}

export function createPersistence<S extends PersistServer>(config: PersistenceConfig, servers: readonly S[]): BackendPersistence<S> | undefined {
  return config.cookie || (config.stick.table && config.stick.rules.length > 0) ? new BackendPersistence(config, servers) : undefined;
}
