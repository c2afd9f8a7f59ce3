/**
 * Readiness, the strategy every runtime follows: ready means answering, not started. Each
 * app answers HTTP (any status) on READY_PATH; then each proxy frontend answers — an HTTP
 * frontend with a status below 500 on READY_PATH (an app's 404 through a backend, or a
 * rule's 403), a TCP frontend by accepting (or, behind a port proxy that accepts before the
 * proxy listens, by carrying bytes back). A runtime decides where it asks from (the local
 * runtime on loopback, the docker runtime through its probe and published ports); what an
 * answer means is decided here.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export { READY_PATH } from '../../probe/ready-path.js';

export type HttpAnswer = { status: number; body: string } | { error: string };

/** One GET of `path` on host:port, connection closed after; an error (code or message) when nothing answered in `timeoutMs`. */
export function httpGet(host: string, port: number, path: string, timeoutMs: number, userAgent = 'haplab-ready/1.0'): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, method: 'GET', agent: false, timeout: timeoutMs, headers: { 'user-agent': userAgent, connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

/**
 * An HTTP frontend's answer to READY_PATH says the proxy routes: 5xx is the proxy saying no
 * server answered (502/503/504) or failing itself; anything else came from an app (its 404)
 * or from a rule (a 403 deny).
 */
export function frontendRoutes(answer: HttpAnswer): boolean {
  return 'status' in answer && answer.status > 0 && answer.status < 500;
}

/** A TCP connection to host:port is accepted within `timeoutMs`. */
export function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/**
 * A TCP connection to host:port carries bytes back to an HTTP/1.0 request: for a `mode tcp`
 * frontend behind a port proxy that accepts before the proxy listens (Docker's). Undefined
 * when it did, else why not.
 */
export function tcpAnswers(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (error?: string) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer in ${timeoutMs / 1000} s`));
    socket.on('connect', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    socket.on('data', () => done());
    socket.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.on('end', () => done('closed without an answer'));
  });
}

/**
 * A TLS frontend (ep13) completes a handshake on host:port within `timeoutMs`: undefined when
 * it did, else why not. Its certificate is not judged here (the verifier does that).
 */
export function tlsHandshakes(host: string, port: number, timeoutMs: number, servername: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, servername, rejectUnauthorized: false });
    const done = (error?: string) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => done(`no handshake in ${timeoutMs / 1000} s`));
    socket.once('secureConnect', () => done());
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.once('close', () => done('closed before the handshake'));
  });
}
