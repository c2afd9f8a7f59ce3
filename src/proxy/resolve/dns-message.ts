/**
 * The DNS messages haplab's resolver sends and reads, judged as HAProxy 2.6 judges them
 * (resolvers.c resolv_build_query and resolv_validate_dns_response). The wire format
 * itself is in dns-wire.ts; what a response means for the servers is decided here:
 * NXDOMAIN and REFUSED have their own hold, other errors, empty answers, truncation and
 * broken CNAME chains count as "other", and a malformed message as invalid. The header
 * is judged before the rest is read, in HAProxy's order.
 */
import { parseIp } from '../acl/ip.js';
import type { AnswerAddress } from './answer-list.js';
import { decodeResponse, encodeQuery as encodeWireQuery, RTYPE, type WireResponse } from './dns-wire.js';

export type QueryType = 'A' | 'AAAA';

export type ResponseVerdict =
  | { kind: 'valid'; addresses: AnswerAddress[] }
  /** HAProxy's RSLV_STATUS_*: each has its `hold` before servers go into MAINT. */
  | { kind: 'nx' | 'refused' | 'other' | 'invalid' };

const RCODE_NXDOMAIN = 3;
const RCODE_REFUSED = 5;
const FLAG_TC = 0x0200;
/** DNS_HEADER_SIZE and DNS_MIN_RECORD_SIZE (include/haproxy/resolvers-t.h): the answer count bound. */
const HEADER_SIZE = 12;
const MIN_RECORD_SIZE = 6;

/** A recursive query with one question and EDNS0 advertising `payloadSize`, as HAProxy sends. */
export function encodeQuery(id: number, hostname: string, type: QueryType, payloadSize: number): Buffer {
  return encodeWireQuery(id, hostname, RTYPE[type], payloadSize);
}

/** The 16-bit id a response answers (undefined: too short to be a DNS message). */
export function responseId(message: Buffer): number | undefined {
  return message.length >= 2 ? message.readUInt16BE(0) : undefined;
}

const sameName = (a: string, b: string): boolean => a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();

export function addressBytes(text: string): AnswerAddress | undefined {
  const ip = parseIp(text);
  if (!ip) return undefined;
  if (ip.family === 4) return { family: 4, bytes: Uint8Array.of(ip.value >>> 24, (ip.value >>> 16) & 255, (ip.value >>> 8) & 255, ip.value & 255) };
  return { family: 6, bytes: Uint8Array.from(ip.bytes) };
}

/** The address as Node's connect takes it. */
export function addressText(address: AnswerAddress): string {
  const b = address.bytes;
  if (address.family === 4) return Array.from(b).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

/** What a response to a query for `hostname` says, as resolv_validate_dns_response classifies it. */
export function readResponse(message: Buffer, hostname: string, acceptedPayloadSize: number): ResponseVerdict {
  if (message.length < 12) return { kind: 'invalid' };
  const flags = message.readUInt16BE(2);
  const rcode = flags & 15;
  if (rcode === RCODE_NXDOMAIN) return { kind: 'nx' };
  if (rcode === RCODE_REFUSED) return { kind: 'refused' };
  if (rcode !== 0) return { kind: 'other' };
  if (message.readUInt16BE(4) !== 1) return { kind: 'invalid' };
  const ancount = message.readUInt16BE(6);
  if (ancount === 0) return { kind: 'other' };
  if (ancount > (acceptedPayloadSize - HEADER_SIZE) / MIN_RECORD_SIZE) return { kind: 'invalid' };
  let packet: WireResponse;
  try {
    packet = decodeResponse(message);
  } catch {
    return { kind: 'invalid' };
  }
  const question = packet.questions[0]!;
  if (!sameName(question.name, hostname)) return { kind: 'invalid' };
  if ((flags & FLAG_TC) !== 0) return { kind: 'other' };
  let expectedName = question.name;
  const addresses: AnswerAddress[] = [];
  for (const [i, answer] of packet.answers.entries()) {
    if (!sameName(answer.name, expectedName)) return { kind: i === 0 ? 'invalid' : 'other' };
    if (answer.type === RTYPE.CNAME) {
      // A CNAME ending the answer leaves no address for the name: HAProxy's CNAME error.
      if (i === packet.answers.length - 1 || answer.target === undefined) return { kind: 'other' };
      expectedName = answer.target;
    } else if (answer.type === RTYPE.A || answer.type === RTYPE.AAAA) {
      const size = answer.type === RTYPE.A ? 4 : 16;
      if (answer.data.length !== size) return { kind: 'invalid' };
      addresses.push({ family: size === 4 ? 4 : 6, bytes: Uint8Array.from(answer.data) });
    }
  }
  return { kind: 'valid', addresses };
}
