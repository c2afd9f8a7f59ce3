/**
 * IPv6 text into its eight 16-bit words, for source hashing (src/proxy/balance/request-keys.ts).
 * Writes into the caller's buffer so that hashing a client address allocates nothing.
 */
import { ipv4At } from './ipv4.js';

/** IPv6 text (with "::", an IPv4 tail, or a %zone) into eight 16-bit words. */
export function parseIpv6(s: string, out: Uint16Array): boolean {
  let end = s.indexOf('%');
  if (end < 0) end = s.length;
  let start = 0;
  if (s.charCodeAt(0) === 0x5b && s.charCodeAt(end - 1) === 0x5d) {
    start = 1;
    end--;
  }
  out.fill(0);
  let n = 0;
  let gap = -1;
  let i = start;
  if (s.startsWith('::', i)) {
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let j = i;
    let v = 0;
    while (j < end && j - i < 5) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 0x2e) {
      // An IPv4 tail fills the last two words.
      const v4 = ipv4At(s, i, end);
      if (v4 < 0 || n > 6) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (j === i || j - i > 4 || n >= 8) return false;
    out[n++] = v;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 0x3a) return false;
    i++;
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return false;
      gap = n;
      i++;
    } else if (i === end) return false;
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Slide the words after "::" to the end.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k]!;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
