/**
 * A DNS server for tests, on 127.0.0.1 at a port its own socket holds: it answers A
 * queries for one name with the addresses the test sets (and may change mid-run), AAAA
 * queries for it with no answer (NOERROR), and anything else with NXDOMAIN; or, as the test
 * switches it, answers nothing at all or NXDOMAIN for the name too. Messages are
 * encoded with the dns-packet package, independently of the proxy's own codec.
 */
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

/** How the server treats queries for its name. */
export type DnsMode = 'answer' | 'silent' | 'nx';

export interface TestDnsServer {
  readonly port: number;
  setMode(mode: DnsMode): void;
  /** performance.now() when an A answer with addresses last went out. */
  lastAnswerAt(): number;
  /** The A records answered from now on, in this order. */
  setAddresses(addresses: readonly string[]): void;
  /** A queries answered so far (a proxy re-resolving shows here). */
  queries(): number;
  close(): Promise<void>;
}

export async function startDnsServer(name: string, initial: readonly string[]): Promise<TestDnsServer> {
  const socket = dgram.createSocket('udp4');
  let addresses = [...initial];
  let aQueries = 0;
  let mode: DnsMode = 'answer';
  let lastAnswer = 0;
  socket.on('message', (message, peer) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const ours = question.name.toLowerCase() === name.toLowerCase();
    if (ours && question.type === 'A') aQueries++;
    if (ours && mode === 'silent') return;
    const found = ours && mode === 'answer';
    const answers: dnsPacket.Answer[] =
      found && question.type === 'A' ? addresses.map((data) => ({ type: 'A', name: question.name, ttl: 1, class: 'IN', data })) : [];
    if (answers.length > 0) lastAnswer = performance.now();
    const rcode = found ? 0 : 3;
    const reply = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | rcode,
      questions: [question],
      answers,
    });
    socket.send(reply, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    setMode: (next) => {
      mode = next;
    },
    lastAnswerAt: () => lastAnswer,
    setAddresses: (next) => {
      addresses = [...next];
    },
    queries: () => aQueries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
