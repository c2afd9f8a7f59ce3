/**
 * The haproxy.cfg both HAProxy and haplab's proxy read. One text, so the two balance the
 * same backends with the same settings; the only lines that differ are HAProxy-only
 * tuning haplab does not parse, listed in HAPROXY_ONLY and documented in the report.
 */
export type Mode = 'http' | 'tcp';

export interface CfgInput {
  mode: Mode;
  port: number;
  backendPorts: readonly number[];
  /** Add HAProxy-only lines (see HAPROXY_ONLY). */
  forHaproxy: boolean;
}

/**
 * `http-reuse always`: haplab (src/proxy/http1/server-pool.ts) and both Node peers (a
 * keep-alive http.Agent) hand any idle server connection to any client's request. That is
 * HAProxy's `always`; its default `safe` differs only for each client connection's
 * first request, so the setting changes little with wrk's persistent connections, but
 * it makes the comparison like for like.
 */
export const HAPROXY_ONLY: Record<Mode, string[]> = {
  http: ['http-reuse always'],
  tcp: [],
};

export function proxyCfg(c: CfgInput): string {
  const extra = c.forHaproxy ? HAPROXY_ONLY[c.mode].map((l) => `    ${l}\n`).join('') : '';
  const servers = c.backendPorts.map((p, i) => `    server s${i + 1} 127.0.0.1:${p}\n`).join('');
  // maxconn 4096: far above the 100 connections used, and within the 20,000-FD limit
  // here (HAProxy needs ~2 FDs per connection and refuses to start otherwise).
  // No `check`: health checks would add traffic to one side only. No logging either.
  return `global
    nbthread 1
    maxconn 4096

defaults
    mode ${c.mode}
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend fe_bench
    bind 127.0.0.1:${c.port}
    default_backend be_bench

backend be_bench
    balance roundrobin
${extra}${servers}`;
}
