/**
 * The "plain Node" peer in `mode tcp`: a net server that picks a backend round-robin per
 * connection and joins the two sockets with socket.pipe() both ways — what a developer
 * writes first, and what haplab's TCP forwarding (src/proxy/tcp.ts) is compared with.
 */
import net from 'node:net';
import { exitOnSignal, parsePeerArgs } from './args.js';

const args = parsePeerArgs(process.argv.slice(2));
let next = 0;

const server = net.createServer((client) => {
  const target = args.backends[next]!;
  next = (next + 1) % args.backends.length;
  const upstream = net.connect({ host: target.host, port: target.port });
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});
server.listen(args.port, '127.0.0.1', () => process.stdout.write(`ready ${args.port}\n`));
exitOnSignal(() => server.close());
