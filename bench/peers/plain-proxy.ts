/**
 * The "plain Node" peer: what a developer writes in twenty lines with `http.request`
 * and a keep-alive agent per backend, round-robin over the backends. haplab's proxy is
 * expected to beat it (it must, to justify its complexity), so it is kept honest: no
 * header rewriting beyond dropping hop-by-hop headers, streaming bodies both ways.
 */
import http from 'node:http';
import { exitOnSignal, parsePeerArgs } from './args.js';

const args = parsePeerArgs(process.argv.slice(2));
const targets = args.backends.map((b) => ({
  ...b,
  // Same pooling as haplab's RuntimeServer: unbounded sockets, reused most-recent first.
  agent: new http.Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' }),
}));
let next = 0;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  return out;
}

const server = http.createServer((req, res) => {
  const target = targets[next]!;
  next = (next + 1) % targets.length;
  const upstream = http.request(
    { host: target.host, port: target.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent: target.agent },
    (up) => {
      res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
      up.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.requestTimeout = 0;
server.listen(args.port, '127.0.0.1', () => process.stdout.write(`ready ${args.port}\n`));
exitOnSignal(() => server.close());
