/**
 * The local runtime's wait for readiness (the strategy is ../shared/readiness.ts): each
 * port of each process answers on loopback. A process that dies or a port that stays
 * silent fails `up` with the last lines of its log.
 */
import { readFile } from 'node:fs/promises';
import { EnvironmentError } from '../../errors.js';
import { frontendRoutes, httpGet, READY_PATH, tcpAccepts } from '../shared/readiness.js';
import { LOOPBACK } from './ports.js';
import { processAlive } from './processes.js';
import type { ProcessRecord, ReadyProbe } from './run-record.js';

const POLL_MS = 100;
const ATTEMPT_TIMEOUT_MS = 1_500;

/** One attempt at `port` on loopback, as the shared strategy (../shared/readiness.ts) says. */
async function answers(port: number, probe: ReadyProbe): Promise<boolean> {
  switch (probe) {
    case 'none':
      return true;
    case 'tcp':
      return tcpAccepts(LOOPBACK, port, ATTEMPT_TIMEOUT_MS);
    case 'http-any': {
      const answer = await httpGet(LOOPBACK, port, READY_PATH, ATTEMPT_TIMEOUT_MS);
      return 'status' in answer && answer.status > 0;
    }
    case 'http-frontend':
      return frontendRoutes(await httpGet(LOOPBACK, port, READY_PATH, ATTEMPT_TIMEOUT_MS));
  }
}

export async function logTail(file: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('up was aborted', 'AbortError');
}

/** Messages of Werkzeug, HAProxy and Node when the port was taken between our check and their bind. */
export const PORT_TAKEN = /EADDRINUSE|Address already in use|is in use by another program/;

/** A part of the lab did not come up; `portTaken` when another program won the race for its port. */
export class StartFailure extends EnvironmentError {
  constructor(message: string, hint: string, readonly portTaken: boolean) {
    super(message, hint);
  }
}

/** Waits until every port of `proc` answers; throws with its log when it dies or times out. */
export async function waitReady(proc: ProcessRecord, deadline: number, signal?: AbortSignal): Promise<void> {
  for (const { port, ready } of proc.listens) {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      if (proc.pid === undefined || !processAlive(proc.pid)) {
        const tail = await logTail(proc.log);
        throw new StartFailure(
          `${proc.implementation} for ${proc.name} exited while starting; last lines of ${proc.log}:\n${tail}`,
          'fix what the log says (a port taken by another program, a bad config), then run up again',
          PORT_TAKEN.test(tail),
        );
      }
      if (await answers(port, ready)) break;
      if (Date.now() >= deadline) {
        throw new EnvironmentError(
          `${proc.implementation} for ${proc.name} did not answer on ${LOOPBACK}:${port} in time; last lines of ${proc.log}:\n${await logTail(proc.log)}`,
          'check the log; on a slow machine give it more time',
        );
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }
}

export { abortError };
