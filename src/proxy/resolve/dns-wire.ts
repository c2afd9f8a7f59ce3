/**
 * The DNS wire format (RFC 1035 §4), only as far as the resolver needs it: a query with one
 * question and an EDNS0 OPT record (the bytes HAProxy's resolv_build_query writes), and a
 * response's header, question and answer records, names decompressed. Written here rather
 * than taken from a package because the proxy is copied alone into its image, without
 * node_modules (src/render/lab.ts copyCompiledProxy); test/unit/proxy/resolve-dns-wire.test.ts
 * checks it against the dns-packet package.
 */

export const RTYPE = { A: 1, CNAME: 5, AAAA: 28, OPT: 41 } as const;
const CLASS_IN = 1;
const FLAG_RD = 0x0100;
/** Names are at most 255 bytes; a pointer chain longer than the message is a loop. */
const MAX_NAME = 255;

export interface WireRecord {
  name: string;
  type: number;
  data: Uint8Array;
  /** For CNAME records: the target name, decompressed. */
  target?: string;
}

export interface WireResponse {
  id: number;
  flags: number;
  questions: { name: string; type: number }[];
  answers: WireRecord[];
}

export function encodeQuery(id: number, hostname: string, type: number, payloadSize: number): Buffer {
  const labels = hostname.replace(/\.$/, '').split('.').filter((l) => l !== '');
  const name = Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.of(Buffer.byteLength(l)), Buffer.from(l)])), Buffer.of(0)]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(FLAG_RD, 2);
  header.writeUInt16BE(1, 4); // one question
  header.writeUInt16BE(1, 10); // one additional: EDNS0
  const question = Buffer.alloc(4);
  question.writeUInt16BE(type, 0);
  question.writeUInt16BE(CLASS_IN, 2);
  const opt = Buffer.alloc(11);
  opt.writeUInt16BE(RTYPE.OPT, 1); // root name (0), then type
  opt.writeUInt16BE(payloadSize, 3);
  return Buffer.concat([header, name, question, opt]);
}

/** A name at `offset`, following compression pointers; `next` is where the name ended in place. */
function readName(message: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let at = offset;
  let next = -1;
  let length = 0;
  for (let hops = 0; hops <= message.length; hops++) {
    if (at >= message.length) throw new Error('name past the end of the message');
    const len = message[at]!;
    if (len === 0) {
      return { name: labels.join('.'), next: next < 0 ? at + 1 : next };
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= message.length) throw new Error('truncated pointer');
      if (next < 0) next = at + 2;
      at = ((len & 0x3f) << 8) | message[at + 1]!;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new Error('unknown label type');
    if (at + 1 + len > message.length) throw new Error('label past the end of the message');
    labels.push(message.toString('latin1', at + 1, at + 1 + len));
    length += len + 1;
    if (length > MAX_NAME) throw new Error('name too long');
    at += 1 + len;
  }
  throw new Error('compression loop');
}

/** Throws on a malformed message (the resolver counts it as invalid). */
export function decodeResponse(message: Buffer): WireResponse {
  if (message.length < 12) throw new Error('shorter than a DNS header');
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  const qdcount = message.readUInt16BE(4);
  const ancount = message.readUInt16BE(6);
  let at = 12;
  const questions: WireResponse['questions'] = [];
  for (let i = 0; i < qdcount; i++) {
    const { name, next } = readName(message, at);
    if (next + 4 > message.length) throw new Error('truncated question');
    questions.push({ name, type: message.readUInt16BE(next) });
    at = next + 4;
  }
  const answers: WireRecord[] = [];
  for (let i = 0; i < ancount; i++) {
    const { name, next } = readName(message, at);
    if (next + 10 > message.length) throw new Error('truncated record');
    const type = message.readUInt16BE(next);
    const rdlength = message.readUInt16BE(next + 8);
    const start = next + 10;
    if (start + rdlength > message.length) throw new Error('record data past the end of the message');
    const record: WireRecord = { name, type, data: message.subarray(start, start + rdlength) };
    if (type === RTYPE.CNAME) record.target = readName(message, start).name;
    answers.push(record);
    at = start + rdlength;
  }
  return { id, flags, questions, answers };
}
