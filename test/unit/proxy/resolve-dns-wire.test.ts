/**
 * The proxy's own DNS codec agrees with the dns-packet package: its query is HAProxy's
 * (one question, RD, EDNS0 with the accepted payload size) and decodes there; responses
 * dns-packet encodes (compressed names, CNAME chains, AAAA) read back here; and each kind
 * of response gets the verdict HAProxy's resolv_validate_dns_response gives it.
 */
import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { addressText, encodeQuery, readResponse } from '../../../src/proxy/resolve/dns-message.js';
import { decodeResponse, RTYPE } from '../../../src/proxy/resolve/dns-wire.js';

function response(answers: dnsPacket.Answer[], options: { name?: string; flags?: number; questions?: number } = {}): Buffer {
  const name = options.name ?? 'tasks.app';
  return dnsPacket.encode({
    type: 'response',
    id: 4242,
    flags: options.flags ?? dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: Array.from({ length: options.questions ?? 1 }, () => ({ type: 'A' as const, class: 'IN' as const, name })),
    answers,
  });
}
const a = (data: string, name = 'tasks.app'): dnsPacket.Answer => ({ type: 'A', name, ttl: 5, class: 'IN', data });
const verdict = (message: Buffer, size = 512) => {
  const v = readResponse(message, 'tasks.app', size);
  return v.kind === 'valid' ? v.addresses.map(addressText) : v.kind;
};

describe('the query', () => {
  it('is the bytes HAProxy sends, and dns-packet reads it', () => {
    const query = encodeQuery(7, 'app.test', 'A', 512);
    expect(query.toString('hex')).toBe('00070100000100000000000103617070047465737400000100010000290200000000000000');
    const decoded = dnsPacket.decode(encodeQuery(0xbeef, 'tasks.web.', 'AAAA', 1232));
    expect(decoded.id).toBe(0xbeef);
    expect(decoded.flag_rd).toBe(true);
    expect(decoded.questions).toEqual([{ name: 'tasks.web', type: 'AAAA', class: 'IN' }]);
    expect(decoded.additionals).toMatchObject([{ type: 'OPT', udpPayloadSize: 1232 }]);
  });
});

describe('decodeResponse', () => {
  it('reads what dns-packet writes, compressed names and CNAME targets included', () => {
    const message = response([
      { type: 'CNAME', name: 'tasks.app', ttl: 5, class: 'IN', data: 'real.app' },
      a('10.0.0.7', 'real.app'),
      { type: 'AAAA', name: 'real.app', ttl: 5, class: 'IN', data: 'fd00::7' },
    ]);
    const decoded = decodeResponse(message);
    expect(decoded.id).toBe(4242);
    expect(decoded.questions).toEqual([{ name: 'tasks.app', type: RTYPE.A }]);
    expect(decoded.answers.map((r) => [r.name, r.type, r.target ?? r.data.length])).toEqual([
      ['tasks.app', RTYPE.CNAME, 'real.app'],
      ['real.app', RTYPE.A, 4],
      ['real.app', RTYPE.AAAA, 16],
    ]);
  });

  it('throws on a message cut short or a pointer loop', () => {
    const message = response([a('10.0.0.1')]);
    expect(() => decodeResponse(message.subarray(0, message.length - 2))).toThrow();
    const loop = Buffer.from(message);
    loop.writeUInt16BE(0xc000 | 12, 12); // the question's name points at itself
    expect(() => decodeResponse(loop)).toThrow();
  });
});

describe('readResponse', () => {
  it('gives the addresses of a valid answer, following a CNAME chain', () => {
    expect(verdict(response([a('10.0.0.1'), a('10.0.0.2')]))).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(verdict(response([{ type: 'CNAME', name: 'tasks.app', ttl: 5, class: 'IN', data: 'x.app' }, a('10.0.0.3', 'x.app')]))).toEqual(['10.0.0.3']);
  });

  it('classifies failures as HAProxy does', () => {
    expect(verdict(response([], { flags: 3 }))).toBe('nx');
    expect(verdict(response([], { flags: 5 }))).toBe('refused');
    expect(verdict(response([], { flags: 2 }))).toBe('other');
    expect(verdict(response([]))).toBe('other'); // no answer at all
    expect(verdict(response([a('10.0.0.1')], { flags: dnsPacket.TRUNCATED_RESPONSE }))).toBe('other');
    expect(verdict(response([a('10.0.0.1')], { name: 'other.app' }))).toBe('invalid');
    expect(verdict(response([a('10.0.0.1')], { questions: 2 }))).toBe('invalid');
    expect(verdict(response([a('10.0.0.1', 'other.app')]))).toBe('invalid');
    expect(verdict(response([a('10.0.0.1'), a('10.0.0.2', 'other.app')]))).toBe('other');
    expect(verdict(response([{ type: 'CNAME', name: 'tasks.app', ttl: 5, class: 'IN', data: 'x.app' }]))).toBe('other');
    expect(verdict(Buffer.from('0102', 'hex'))).toBe('invalid');
  });

  it('refuses more answers than the accepted payload size allows', () => {
    const many = response(Array.from({ length: 4 }, (_, i) => a(`10.0.0.${i + 1}`)));
    expect(verdict(many, 12 + 6 * 4)).toHaveLength(4);
    expect(verdict(many, 12 + 6 * 4 - 1)).toBe('invalid');
  });
});
