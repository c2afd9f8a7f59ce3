/**
 * Reproduces the hash reference values of test/unit/balance/hash-vectors.ts with the real
 * HAProxy: it starts `haproxy` on a loopback port with one frontend whose
 * `http-request return` prints, through HAProxy's own converters, sdbm/djb2/wt6/crc32 of
 * every input and full_hash of every integer, fetches that page once and stops HAProxy.
 *
 *   npm run hash-vectors [-- --haproxy /usr/sbin/haproxy] [-- --port N]
 *
 * full_hash has no converter of its own, but every hash converter applies it when given
 * its avalanche flag (`crc32(1)` is full_hash(crc32(input))). So for an integer x the
 * script builds four bytes whose CRC-32 is x (CRC-32 can be steered to any value by
 * four chosen bytes) and asks HAProxy for crc32(0) — which must be x, it checks — and
 * crc32(1) of them.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FULL_HASH_INPUTS, HASH_FUNCTIONS, HASH_INPUTS, type HashValues } from '../test/unit/balance/hash-vectors.js';

export interface HashVectors {
  /** One entry per input string: what each converter gives, avalanche off. */
  hashes: HashValues[];
  /** One entry per integer: full_hash as HAProxy computes it. */
  fullHash: number[];
}

export interface HaproxyRun {
  haproxy: string;
  /** A loopback port nothing else listens on. */
  port: number;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let c = i;
  for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  return c >>> 0;
});
/** Each table entry has a distinct top byte: the entry's index, found from that byte. */
const CRC_INDEX_BY_TOP_BYTE = new Map(CRC_TABLE.map((entry, i) => [entry >>> 24, i]));

/**
 * Four bytes whose standard CRC-32 is `target`. Going back from the final register, each
 * step's table index is given by the register's top byte; going forward from the initial
 * register, each byte is the one that selects that index.
 */
export function bytesWithCrc32(target: number): Buffer {
  const indexes = [0, 0, 0, 0];
  let register = ~target >>> 0;
  for (let k = 3; k >= 0; k--) {
    const index = CRC_INDEX_BY_TOP_BYTE.get(register >>> 24)!;
    indexes[k] = index;
    register = ((register ^ CRC_TABLE[index]!) << 8) >>> 0;
  }
  const out = Buffer.alloc(4);
  let state = 0xffffffff;
  indexes.forEach((index, k) => {
    out[k] = (state ^ index) & 0xff;
    state = ((state >>> 8) ^ CRC_TABLE[index]!) >>> 0;
  });
  return out;
}

/** A sample expression yielding these bytes (`bin()` refuses an empty argument). */
function fetchOf(bytes: Buffer): string {
  return bytes.length === 0 ? 'str()' : `bin(${bytes.toString('hex')})`;
}

function bytesOf(input: string): Buffer {
  if ([...input].some((c) => c.charCodeAt(0) > 0xff)) throw new RangeError(`${JSON.stringify(input)}: only characters below 256 (one byte each)`);
  return Buffer.from(input, 'latin1');
}

/** The configuration: lines `h <sdbm> <djb2> <wt6> <crc32>` per input, `f <crc32> <full_hash>` per integer. */
export function vectorsConfig(inputs: readonly string[], integers: readonly number[], port: number): string {
  const lines = inputs.map((s) => `h ${HASH_FUNCTIONS.map((fn) => `%[${fetchOf(bytesOf(s))},${fn}(0)]`).join(' ')}`);
  for (const x of integers) {
    const f = fetchOf(bytesWithCrc32(x));
    lines.push(`f %[${f},crc32(0)] %[${f},crc32(1)]`);
  }
  return [
    'global',
    '  nbthread 1',
    '  noreuseport',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 10s',
    '  timeout server 10s',
    'frontend vectors',
    `  bind 127.0.0.1:${port}`,
    `  http-request return status 200 content-type text/plain lf-string "${lines.join('\\n')}\\n"`,
    '',
  ].join('\n');
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
  });
}

/** Parses HAProxy's page; throws when a line is missing or a CRC-32 did not come out as steered. */
export function parseVectors(body: string, inputs: readonly string[], integers: readonly number[]): HashVectors {
  const rows = body.trimEnd().split('\n').map((l) => l.split(' '));
  const numbers = (row: string[] | undefined, tag: string, count: number): number[] => {
    if (!row || row[0] !== tag || row.length !== count + 1 || row.slice(1).some((v) => !/^\d+$/.test(v))) {
      throw new Error(`unexpected line from HAProxy: ${JSON.stringify(row?.join(' '))}`);
    }
    return row.slice(1).map(Number);
  };
  const hashes = inputs.map((_, i) => {
    const values = numbers(rows[i], 'h', HASH_FUNCTIONS.length);
    return Object.fromEntries(HASH_FUNCTIONS.map((fn, j) => [fn, values[j]!])) as HashValues;
  });
  const fullHash = integers.map((x, i) => {
    const [crc, avalanched] = numbers(rows[inputs.length + i], 'f', 2) as [number, number];
    if (crc !== x) throw new Error(`crc32 of the bytes built for ${x} is ${crc} in HAProxy: bytesWithCrc32 is wrong`);
    return avalanched;
  });
  return { hashes, fullHash };
}

/** Runs HAProxy once and returns what it computes for these inputs and integers. */
export async function haproxyHashVectors(
  run: HaproxyRun,
  inputs: readonly string[] = HASH_INPUTS,
  integers: readonly number[] = FULL_HASH_INPUTS,
): Promise<HashVectors> {
  const dir = mkdtempSync(join(tmpdir(), 'haplab-hash-vectors-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, vectorsConfig(inputs, integers, run.port));
  const child = spawn(run.haproxy, ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', (err) => (output += `${err.message}\n`));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`haproxy exited:\n${output}`);
      try {
        return parseVectors(await get(run.port), inputs, integers);
      } catch (err) {
        // Not listening yet: ECONNREFUSED until HAProxy has bound the port.
        if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A loopback port the kernel reports free (for a run by hand; tests pass a reserved one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const haproxy = flag('--haproxy') ?? '/usr/sbin/haproxy';
  const portText = flag('--port');
  const port = portText === undefined ? await freePort() : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`hash-vectors: --port must be a port number, got ${JSON.stringify(portText)}`);
    return 2;
  }
  let vectors: HashVectors;
  try {
    vectors = await haproxyHashVectors({ haproxy, port });
  } catch (err) {
    console.error(`hash-vectors: ${(err as Error).message}`);
    return 3;
  }
  console.log('// HASH_EXPECTED (test/unit/balance/hash-vectors.ts), one line per HASH_INPUTS entry');
  HASH_INPUTS.forEach((input, i) => {
    const v = vectors.hashes[i]!;
    console.log(`  { ${HASH_FUNCTIONS.map((fn) => `${fn}: ${v[fn]}`).join(', ')} }, // ${JSON.stringify(input)}`);
  });
  console.log('// FULL_HASH_EXPECTED, for FULL_HASH_INPUTS');
  console.log(`  [${vectors.fullHash.join(', ')}]`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
