/**
 * `tcp-request inspect-delay` + `tcp-request content` for a tcp frontend (HAProxy 2.6
 * src/tcp_rules.c tcp_inspect_request): the connection's first bytes are held until the
 * rules can decide — the TLS ClientHello is whole, or is plainly not one — or the delay ends
 * or the client stops sending; then the content rules run in order (the first accept ends
 * them, a reject closes the connection, none matching accepts), and the bytes go back to
 * the socket so that the backend receives them first.
 */
import type { Socket } from 'node:net';
import { evaluateCondition } from './acl/evaluate.js';
import type { RequestFacts } from './acl/types.js';
import type { TcpContentRule } from './config/model.js';
import { sslHelloSni, sslHelloType } from './tls/client-hello.js';

/** Whether more bytes could change what the payload fetches say. */
function undecided(payload: Uint8Array): boolean {
  return sslHelloType(payload) === 'wait' || sslHelloSni(payload) === 'wait';
}

/** Reads, judges, and calls `then(true)` with facts.payload set when accepted, `then(false)` when rejected. */
export function inspectContent(
  client: Socket, facts: RequestFacts, rules: { inspectDelay?: number; content: readonly TcpContentRule[] },
  then: (accepted: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    client.pause();
    client.removeListener('data', onData);
    client.removeListener('end', finish);
    const payload = Buffer.concat(chunks);
    if (payload.length) client.unshift(payload);
    facts.payload = payload;
    for (const rule of rules.content) {
      if (!evaluateCondition(rule.condition, facts)) continue;
      then(rule.action === 'accept');
      return;
    }
    then(true);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    if (!undecided(Buffer.concat(chunks))) finish();
  };
  const delay = rules.inspectDelay ?? 0;
  const timer = setTimeout(finish, delay);
  if (delay === 0) return;
  client.on('data', onData);
  client.once('end', finish);
  client.resume();
}
