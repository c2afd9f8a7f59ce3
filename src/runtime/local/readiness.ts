/**
 * Ready means the ports answer, not that the process started: each app answers HTTP, then
 * each proxy frontend answers (HTTP from a backend or a rule / TCP accept). A process that
 * dies or a port that stays silent fails `up` with the last lines of its log.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { EnvironmentError } from '../../errors.js';
import { LOOPBACK } from './ports.js';
import { processAlive } from './processes.js';
import type { ProcessRecord, ReadyProbe } from './run-record.js';

const POLL_MS = 100;
/**
 * What readiness asks for: a path no lab routes, so every app answers 404 at once — GET /
 * would sleep 5 s on ep06's slow apps — and through a proxy the 404 still proves that a
 * backend server answered.
 */
export const READY_PATH = '/haplab-ready';
const ATTEMPT_TIMEOUT_MS = 1_500;

/** One HTTP GET of READY_PATH; resolves to the status, or 0 when nothing answered. */
export function httpStatus(port: number, host = LOOPBACK): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: READY_PATH, method: 'GET', agent: false, timeout: ATTEMPT_TIMEOUT_MS, headers: { 'user-agent': 'haplab-ready/1.0', connection: 'close' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export function tcpAccepts(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: ATTEMPT_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => socket.destroy());
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/**
 * http-frontend: 5xx is the proxy saying no server answered (502/503/504); anything else
 * came from an app (its 404) or from a rule (a 403 deny).
 */
async function answers(port: number, probe: ReadyProbe): Promise<boolean> {
  switch (probe) {
    case 'none':
      return true;
    case 'tcp':
      return tcpAccepts(port);
    case 'http-any':
      return (await httpStatus(port)) > 0;
    case 'http-frontend': {
      const status = await httpStatus(port);
      return status > 0 && status < 500;
    }
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
