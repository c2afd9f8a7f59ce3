/** Runs a command in a running container (docker exec), optionally feeding stdin, and collects its output. */
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function execIn(container: Docker.Container, cmd: string[], stdin?: string, user?: string): Promise<ExecResult> {
  const exec = await container.exec({ Cmd: cmd, ...(user ? { User: user } : {}), AttachStdin: stdin !== undefined, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: stdin !== undefined });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => out.push(d));
  stderr.on('data', (d: Buffer) => err.push(d));
  container.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    // Half-close after the input: the process sees EOF on stdin, and its output still comes back.
    if (stdin !== undefined) (stream as NodeJS.WritableStream).end(stdin);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
