/** The one IPv4 parser (src/proxy/net/ipv4.ts): inet_pton's rules, on slices, and CIDRs. */
import { describe, expect, it } from 'vitest';
import { formatIPv4, ipv4At, parseIPv4, parseIPv4Cidr } from '../../../src/proxy/net/ipv4.js';

describe('ipv4', () => {
  it('reads plain dotted quads and refuses what inet_pton refuses', () => {
    expect(parseIPv4('192.168.1.10')).toBe(0xc0a8010a);
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    for (const bad of ['01.2.3.4', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '0x1.2.3.4', ' 1.2.3.4', '1.2.3.4 ', '']) expect(parseIPv4(bad), bad).toBeUndefined();
  });
  it('parses a slice without copying it', () => {
    const s = 'for=10.0.0.7;x';
    expect(ipv4At(s, 4, 12)).toBe(0x0a000007);
    expect(ipv4At(s, 4, 13)).toBe(-1);
  });
  it('formats back', () => {
    expect(formatIPv4(0xc0a8010a)).toBe('192.168.1.10');
  });
  it('reads networks, clearing host bits', () => {
    expect(parseIPv4Cidr('192.168.1.77/24')).toEqual({ base: 0xc0a80100, bits: 24 });
    expect(parseIPv4Cidr('10.1.2.3')).toEqual({ base: 0x0a010203, bits: 32 });
    expect(parseIPv4Cidr('0.0.0.0/0')).toEqual({ base: 0, bits: 0 });
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', '10.0.0/8', '10.0.0.0/-1']) expect(parseIPv4Cidr(bad), bad).toBeUndefined();
  });
});
