/** The last lines a container printed: what the user needs when it died or never became ready. */
import type Docker from 'dockerode';

/** Docker's log stream without a TTY: 8-byte frame headers before each chunk. */
export function demuxLogBuffer(buf: Buffer): string {
  let text = '';
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    text += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : text;
}

export async function lastLogLines(container: Docker.Container, lines = 15): Promise<string[]> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxLogBuffer(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))).split('\n').map((l) => l.trimEnd()).filter(Boolean);
  } catch {
    return [];
  }
}

/** "name (exited 1):\n    line\n    line" for an error message. */
export function formatLogs(name: string, state: string, lines: string[]): string {
  const body = lines.length ? lines.map((l) => `    ${l}`).join('\n') : '    (no output)';
  return `${name} (${state}), last lines:\n${body}`;
}
