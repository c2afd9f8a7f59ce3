/**
 * One bench backend: a minimal Node HTTP server in its own process, so that serving
 * requests never competes with the proxy under test for an event loop.
 *
 *   GET /      → 200, a short body naming this server (the round-robin sanity check reads it)
 *   GET /bulk  → 200, 1 MiB of bytes (the TCP bulk-throughput test)
 *   GET /__stats → {"connections","requests"} served so far, not counting /__stats
 *                itself: the harness checks from them that each proxy reuses its
 *                server connections instead of opening one per request.
 */
import http from 'node:http';
import { BULK_BYTES, exitOnSignal, parsePeerArgs } from './args.js';

const args = parsePeerArgs(process.argv.slice(2));
const body = Buffer.from(`hello from ${args.name}\n`);
const bulk = Buffer.alloc(BULK_BYTES, 0x61);
const shortHeaders = { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) };
const bulkHeaders = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bulk.length) };

let connections = 0;
let requests = 0;
const counted = new WeakSet<object>();

const server = http.createServer((req, res) => {
  // Drain any request body so the connection stays reusable.
  req.resume();
  if (req.url === '/__stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ connections, requests }));
    return;
  }
  requests++;
  if (!counted.has(req.socket)) {
    counted.add(req.socket);
    connections++;
  }
  if (req.url === '/bulk') res.writeHead(200, bulkHeaders).end(bulk);
  else res.writeHead(200, shortHeaders).end(body);
});
// Longer than any pause between bench points: a proxy's pooled connection must not be
// closed under it mid-run (that would show up as resets, not as proxy speed).
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(args.port, '127.0.0.1', () => process.stdout.write(`ready ${args.port}\n`));
exitOnSignal(() => server.close());
