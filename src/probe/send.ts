/**
 * Sends probe traffic: HTTP through node:http, raw TCP through node:net, each request from the
 * client address it names. Used in-process by the local runtime and inside the probe
 * container (agent.ts) by the docker runtime, so both send exactly the same way.
 */
import { Agent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, isIP, type Socket } from 'node:net';
import type { ProbeBatchOptions, ProbeRequest, ProbeResponse } from './types.js';
import { SERVED_BY_HEADER } from '../lab-schema/types.js';

export interface Target {
  host: string;
  port: number;
}

export type ResolvedRequest = ProbeRequest & { target: Target };

const DEFAULT_TIMEOUT_MS = 15_000;

export async function sendBatch(requests: ResolvedRequest[], options: ProbeBatchOptions = {}): Promise<ProbeResponse[]> {
  const started = performance.now();
  const results: ProbeResponse[] = new Array(requests.length);
  const keepAlive = new KeepAliveSessions(requests);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index]!;
      const sentAtMs = performance.now() - started;
      const outcome = request.connection === 'tcp'
        ? await sendRawTcp(request, timeoutMs)
        : await sendHttp(request, timeoutMs, request.connection === 'keepalive' ? keepAlive.agent(request) : undefined, options.servedByHeader, options.captureHeaders);
      if (request.connection === 'keepalive') keepAlive.answered(request);
      results[index] = { ...outcome, sentAtMs, doneAtMs: performance.now() - started };
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, requests.length));
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    keepAlive.destroy();
  }
  return results;
}

type Outcome = Omit<ProbeResponse, 'sentAtMs' | 'doneAtMs'>;

/**
 * One kept-alive connection per session, client address and target (an agent of one
 * socket), closed as soon as the session's last request of the batch is answered: a batch
 * of many sessions never holds more than the sessions in progress open. One socket per
 * agent also answers in order, so the last request answered is the session's last.
 */
class KeepAliveSessions {
  private readonly agents = new Map<string, Agent>();
  private readonly remaining = new Map<string, number>();

  constructor(requests: readonly ResolvedRequest[]) {
    for (const r of requests) {
      if (r.connection === 'keepalive') this.remaining.set(KeepAliveSessions.key(r), (this.remaining.get(KeepAliveSessions.key(r)) ?? 0) + 1);
    }
  }

  private static key(request: ResolvedRequest): string {
    return `${request.session ?? ''}|${request.sourceAddress ?? ''}>${request.target.host}:${request.target.port}`;
  }

  agent(request: ResolvedRequest): Agent {
    const key = KeepAliveSessions.key(request);
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new Agent({ keepAlive: true, maxSockets: 1 });
      this.agents.set(key, agent);
    }
    return agent;
  }

  answered(request: ResolvedRequest): void {
    const key = KeepAliveSessions.key(request);
    const left = (this.remaining.get(key) ?? 1) - 1;
    this.remaining.set(key, left);
    if (left > 0) return;
    this.agents.get(key)?.destroy();
    this.agents.delete(key);
  }

  destroy(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

// A fresh connection per request: no pooling, and the server is told to close.
const freshAgent = new Agent({ keepAlive: false });

/**
 * One HTTP(S) request on node:http. Not got: the probe is the verifier's bottleneck (ep07 sends
 * thousands of fresh requests), and got's layers cost ~2.4× the CPU per request of
 * http.request here, for retries, redirects and decompression the probe turns off anyway.
 */
function sendHttp(request: ResolvedRequest, timeoutMs: number, keepAlive?: Agent, servedByHeader = SERVED_BY_HEADER, capture?: readonly string[]): Promise<Outcome> {
  const tls = request.tls;
  const options: RequestOptions = {
    host: request.target.host,
    port: request.target.port,
    method: request.method,
    path: request.path,
    headers: { ...(keepAlive ? {} : { connection: 'close' }), ...request.headers },
    localAddress: request.sourceAddress,
    // A TLS request gets an agent of its own (none): it carries its own CA.
    agent: tls ? false : keepAlive ?? freshAgent,
  };
  return new Promise((resolve) => {
    // The client side of the connection, named while the socket is ours: a kept-alive socket
    // is detached from the response (response.socket = null) once it goes back to its agent.
    let connection: string | undefined;
    let settled = false;
    const done = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const onResponse = (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (err) => done({ status: 0, body: '', error: describeError(err) }));
      response.on('end', () => {
        const servedBy = response.headers[servedByHeader.toLowerCase()];
        done({
          status: response.statusCode ?? 0,
          servedBy: typeof servedBy === 'string' ? servedBy : undefined,
          body: Buffer.concat(chunks).toString('utf8'),
          connection,
          ...(capture ? { headers: capturedHeaders(response.headers, capture) } : {}),
        });
      });
    };
    // The Host header names the certificate's host: Node sends it as SNI and checks the certificate against it.
    const req = tls
      ? httpsRequest({ ...options, ca: tls.ca, rejectUnauthorized: true, servername: sniName(request) }, onResponse)
      : httpRequest(options, onResponse);
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
    req.on('socket', (socket: Socket) => {
      const name = () => {
        connection = socket.localPort ? `${socket.localAddress}:${socket.localPort}` : undefined;
      };
      if (socket.localPort) name();
      else socket.once('connect', name);
    });
    req.on('error', (err) => done({ status: 0, body: '', error: describeError(err) }));
    // Node ends a good exchange with the response's 'end' before the request's 'close'.
    req.on('close', () => done({ status: 0, body: '', error: 'ECONNRESET: the connection closed before the response ended' }));
    req.end(request.body);
  });
}

/** The SNI name: the Host header's host, unless it is an address (TLS carries no address as SNI). */
function sniName(request: ResolvedRequest): string | undefined {
  const host = Object.entries(request.headers ?? {}).find(([name]) => name.toLowerCase() === 'host')?.[1].replace(/:\d+$/, '');
  return host && !isIP(host) ? host : undefined;
}

function capturedHeaders(headers: Record<string, string | string[] | undefined>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name.toLowerCase()];
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join('\n') : value;
  }
  return out;
}

/** mode tcp: one connection, an HTTP/1.0 request written by hand, read until the server closes. */
function sendRawTcp(request: ResolvedRequest, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: request.target.host, port: request.target.port, localAddress: request.sourceAddress });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    let connection: string | undefined;
    socket.on('connect', () => {
      connection = `${socket.localAddress}:${socket.localPort}`;
      const headers = Object.entries(request.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.end(`${request.method} ${request.path} HTTP/1.0\r\nHost: ${request.target.host}\r\n${headers}\r\n${request.body ?? ''}`);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: 0, body: '', error: describeError(err) });
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve({ ...parseRawResponse(Buffer.concat(chunks).toString('utf8')), connection });
    });
  });
}

export function parseRawResponse(raw: string): Outcome {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd >= 0 ? raw.slice(0, headEnd) : raw;
  const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(head)?.[1] ?? 0);
  const servedBy = new RegExp(`^${SERVED_BY_HEADER}:\\s*(.+)$`, 'im').exec(head)?.[1]?.trim();
  const body = headEnd >= 0 ? raw.slice(headEnd + 4) : '';
  return status ? { status, servedBy, body } : { status: 0, body: '', error: 'no HTTP response on the TCP connection' };
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code}: ${err.message}` : err.message;
}
