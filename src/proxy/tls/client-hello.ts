/**
 * Reading a TLS ClientHello from the first bytes of a connection, as HAProxy 2.6's
 * req.ssl_hello_type and req.ssl_sni do (src/payload.c smp_fetch_ssl_hello_type,
 * smp_fetch_ssl_hello_sni), with their length checks: 'wait' when more bytes could still
 * decide (HAProxy's SMP_F_MAY_CHANGE), undefined when they never will (not a hello).
 */

export type Wait = 'wait';

/** The handshake type of the first record (1: ClientHello), once the whole handshake is in. */
export function sslHelloType(data: Uint8Array): number | Wait | undefined {
  if (data.length === 0) return 'wait';
  const first = data[0]!;
  if (!((first >= 0x14 && first <= 0x17) || first === 0xff)) return undefined;
  if (data.length < 9) return 'wait';
  if ((data[1]! << 16) + data[2]! < 0x00030000) return undefined;
  if ((data[3]! << 8) + data[4]! < 4) return undefined;
  const length = (data[6]! << 16) + (data[7]! << 8) + data[8]!;
  if (data.length < 9 + length) return 'wait';
  return data[5]!;
}

/** The server name (SNI) a ClientHello asks for. */
export function sslHelloSni(all: Uint8Array): string | Wait | undefined {
  let left = all.length;
  if (left === 0) return 'wait';
  if (all[0] !== 0x16) return undefined;
  if (left < 3) return 'wait';
  if (all[1]! < 0x03) return undefined;
  if (left < 5) return 'wait';
  let hs = (all[3]! << 8) + all[4]!;
  if (hs < 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return undefined;
  let p = 5;
  left -= 5;
  if (left < 1) return 'wait';
  if (all[p] !== 0x01) return undefined;
  if (left < 4) return 'wait';
  hs = (all[p + 1]! << 16) + (all[p + 2]! << 8) + all[p + 3]!;
  if (hs < 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) return undefined;
  // HAProxy compares the bytes after the record header with the hello's own length.
  if (left < hs) return 'wait';
  p += 4;
  const at = (k: number) => all[p + k] ?? 0;
  if (at(0) < 0x03 || at(1) < 0x01) return undefined;
  let ext = at(34);
  if (ext > 32 || ext > hs - 35) return undefined;
  hs -= 35 + ext;
  p += 35 + ext;
  ext = (at(0) << 8) + at(1);
  if (hs < 4 || ext < 2 || ext > hs) return undefined;
  hs -= 2 + ext;
  p += 2 + ext;
  if (hs < 2 || at(0) < 1 || at(0) > hs) return undefined;
  const compression = at(0);
  hs -= 1 + compression;
  p += 1 + compression;
  ext = (at(0) << 8) + at(1);
  if (hs < 2 || ext > hs - 2) return undefined;
  hs = ext;
  p += 2;
  while (hs >= 4) {
    const type = (at(0) << 8) + at(1);
    ext = (at(2) << 8) + at(3);
    if (ext > hs - 4) return undefined;
    if (type === 0) {
      if (ext < 2) return undefined;
      const list = (at(4) << 8) + at(5);
      if (list < 4 || list > hs - 6) return undefined;
      if (at(6) === 0) {
        const length = (at(7) << 8) + at(8);
        return Buffer.from(all.subarray(p + 9, p + 9 + length)).toString('latin1');
      }
    }
    p += ext + 4;
    hs -= ext + 4;
  }
  return undefined;
}
