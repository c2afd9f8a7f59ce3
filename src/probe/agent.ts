/**
 * Runs inside the lab's probe container (docker runtime): reads one job as JSON on stdin,
 * does it from inside the lab network, writes the result as JSON on stdout.
 *   send: the verifier's requests, already resolved to in-network targets, through the very
 *         sendBatch the local runtime uses, from the source addresses they name;
 *   wait: polls targets until each answers HTTP (any status: the app is up), for readiness.
 */
import { request } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { ProbeBatchOptions, ProbeResponse } from './types.js';
import { READY_PATH } from './ready-path.js';
import { sendBatch, type ResolvedRequest, type Target } from './send.js';

export type AgentJob =
  | { op: 'send'; requests: ResolvedRequest[]; options?: ProbeBatchOptions }
  | { op: 'wait'; targets: Target[]; timeoutMs: number };

export type AgentResult =
  | { op: 'send'; responses: ProbeResponse[] }
  | { op: 'wait'; waiting: { target: Target; error: string }[] };

const POLL_MS = 150;

function answersHttp(target: Target, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: target.host, port: target.port, path: READY_PATH, method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

async function waitFor(targets: Target[], timeoutMs: number): Promise<AgentResult> {
  const deadline = Date.now() + timeoutMs;
  let pending = targets.map((target) => ({ target, error: 'not tried' }));
  while (pending.length > 0) {
    const results = await Promise.all(pending.map(async (p) => ({ target: p.target, error: await answersHttp(p.target, 2_000) })));
    pending = results.filter((r): r is { target: Target; error: string } => r.error !== undefined);
    if (pending.length === 0 || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { op: 'wait', waiting: pending };
}

export async function runJob(job: AgentJob): Promise<AgentResult> {
  if (job.op === 'send') return { op: 'send', responses: await sendBatch(job.requests, job.options) };
  return waitFor(job.targets, job.timeoutMs);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// Only when run as the entry (`node agent.js`), so runJob can be imported too.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const job = JSON.parse(await readStdin()) as AgentJob;
    process.stdout.write(`${JSON.stringify(await runJob(job))}\n`);
  } catch (err) {
    process.stderr.write(`haplab probe agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
