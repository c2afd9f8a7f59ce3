/**
 * What the proxy-abuse and proxy-load tests share: a backend whose paths misbehave (reset
 * before or after the headers, answer slowly, or hold requests at a gate until enough are
 * in flight at once) and the haproxy.cfg that puts haplab's proxy in front of it.
 */
import type http from 'node:http';

export const statusOf = (response: string) => /^HTTP\/1\.[01] (\d{3})/.exec(response)?.[1] ?? 'closed';

/** Backend behaviours chosen by path; `held` counts /gate requests waiting for their answer. */
export const gate = { held: 0, maxHeld: 0, want: Infinity, waiting: [] as Array<() => void> };

export function abusiveServer(name: string, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  switch (req.url) {
    case '/reset-before':
      // RST before a byte of response: HAProxy answers 502.
      req.socket.resetAndDestroy();
      return true;
    case '/reset-after':
      res.writeHead(200, { 'content-length': '100000', 'x-backend': name });
      res.write('x'.repeat(1000), () => req.socket.resetAndDestroy());
      return true;
    case '/slow':
      setTimeout(() => res.end(`${name} slow`), 300);
      return true;
    case '/gate': {
      // Answer nobody until `want` requests are held at once: proves they are concurrent.
      gate.held++;
      gate.maxHeld = Math.max(gate.maxHeld, gate.held);
      const answer = () => res.end(`${name} gate`);
      gate.waiting.push(answer);
      if (gate.held >= gate.want) for (const w of gate.waiting.splice(0)) w();
      return true;
    }
    default:
      return false;
  }
}

export function config(ports: { web: number; clientOnly: number }, app: number, timeouts = { client: '5s', server: '10s', httpRequest: '1s' }): string {
  return `global
    nbthread 1

defaults
    mode http
    timeout connect 1s
    timeout client ${timeouts.client}
    timeout server ${timeouts.server}

frontend web
    bind 127.0.0.1:${ports.web}
    timeout http-request ${timeouts.httpRequest}
    default_backend apps

frontend client_only
    bind 127.0.0.1:${ports.clientOnly}
    timeout client 1s
    default_backend apps

backend apps
    server app1 127.0.0.1:${app}
`;
}
