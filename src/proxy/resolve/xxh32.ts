/**
 * XXH32, the 32-bit xxHash, written from its published specification. HAProxy keys each
 * DNS answer record by XXH32(record data, seed = record type) (resolvers.c
 * resolv_validate_dns_response), and the order of those keys is the order in which its
 * servers are offered addresses: reproducing the hash reproduces that order.
 */
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;
const mul = (a: number, b: number): number => Math.imul(a, b) >>> 0;
const lane = (data: Uint8Array, i: number): number => (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
const round = (acc: number, input: number): number => mul(rotl((acc + mul(input, P2)) >>> 0, 13), P1);

export function xxh32(data: Uint8Array, seed = 0): number {
  const len = data.length;
  let i = 0;
  let acc: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) >>> 0;
    let v2 = (seed + P2) >>> 0;
    let v3 = seed >>> 0;
    let v4 = (seed - P1) >>> 0;
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, lane(data, i));
      v2 = round(v2, lane(data, i + 4));
      v3 = round(v3, lane(data, i + 8));
      v4 = round(v4, lane(data, i + 12));
    }
    acc = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    acc = (seed + P5) >>> 0;
  }
  acc = (acc + len) >>> 0;
  for (; i + 4 <= len; i += 4) acc = mul(rotl((acc + mul(lane(data, i), P3)) >>> 0, 17), P4);
  for (; i < len; i++) acc = mul(rotl((acc + mul(data[i]!, P5)) >>> 0, 11), P1);
  acc = mul(acc ^ (acc >>> 15), P2);
  acc = mul(acc ^ (acc >>> 13), P3);
  return (acc ^ (acc >>> 16)) >>> 0;
}
