/**
 * The probe's kept-alive sessions (src/probe/send.ts) on loopback, against a keep-alive
 * server that names the connection each request arrived on: requests of one session share
 * one connection, sessions never share, and a session's connection is closed once its last
 * request is answered — so a batch of many sessions, sent one after another, does not hold
 * them all open.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendBatch, type ResolvedRequest } from '../../src/probe/send.js';

let server: Server;
let port: number;
let open = 0;
let mostOpen = 0;
const ids = new WeakMap<Socket, number>();
let nextId = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.setHeader('X-Served-By', `conn-${ids.get(req.socket)}`);
    res.end('ok');
  });
  server.on('connection', (socket: Socket) => {
    ids.set(socket, nextId++);
    open++;
    mostOpen = Math.max(mostOpen, open);
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const request = (session?: string): ResolvedRequest => ({
  proxy: 'haproxy', frontend: 'f', method: 'GET', path: '/', connection: 'keepalive', session, target: { host: '127.0.0.1', port },
});

describe('kept-alive sessions', () => {
  it('one connection per session, a new one for each session, each closed when its session is done', async () => {
    mostOpen = 0;
    const sessions = 6;
    const perSession = 3;
    const requests = Array.from({ length: sessions }, (_, s) => Array.from({ length: perSession }, () => request(`s${s}`))).flat();
    const responses = await sendBatch(requests, { concurrency: 1 });
    expect(responses.every((r) => r.status === 200)).toBe(true);
    for (let s = 0; s < sessions; s++) {
      const mine = responses.slice(s * perSession, (s + 1) * perSession);
      // The server saw one connection, and the client names the same one.
      expect(new Set(mine.map((r) => r.servedBy)).size, `session ${s}`).toBe(1);
      expect(new Set(mine.map((r) => r.connection)).size, `session ${s}`).toBe(1);
      expect(mine[0]!.connection).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect(new Set(responses.map((r) => r.servedBy)).size).toBe(sessions);
    // Sent one after another, each session's connection closed as it ends: the server sees
    // at most the current one and the previous one whose FIN it has not handled yet
    // (keeping them all to the end of the batch would have held 6).
    expect(mostOpen).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(open).toBe(0);
  });

  it('without a session, the whole batch shares one connection', async () => {
    const responses = await sendBatch(Array.from({ length: 5 }, () => request()), { concurrency: 1 });
    expect(new Set(responses.map((r) => r.servedBy)).size).toBe(1);
    expect(new Set(responses.map((r) => r.connection)).size).toBe(1);
  });
});
