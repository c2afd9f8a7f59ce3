/**
 * The node-http-proxy peer: the library most Node projects reach for, with a keep-alive
 * agent per backend and round-robin over the backends.
 */
import http from 'node:http';
import httpProxy from 'http-proxy';
import { exitOnSignal, parsePeerArgs } from './args.js';

const args = parsePeerArgs(process.argv.slice(2));
const targets = args.backends.map((b) => ({
  target: `http://${b.host}:${b.port}`,
  agent: new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' }),
}));
let next = 0;

const proxy = httpProxy.createProxyServer({});
proxy.on('error', (_err, _req, res) => {
  // For web requests `res` is a ServerResponse; for upgrades a socket (unused here).
  if (res instanceof http.ServerResponse) {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  } else res.destroy();
});

const server = http.createServer((req, res) => {
  const t = targets[next]!;
  next = (next + 1) % targets.length;
  proxy.web(req, res, t);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(args.port, '127.0.0.1', () => process.stdout.write(`ready ${args.port}\n`));
exitOnSignal(() => server.close());
