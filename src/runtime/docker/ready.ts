/**
 * The docker runtime's wait for readiness (the strategy is ../shared/readiness.ts): every app's port answers HTTP inside the
 * lab network (asked through the probe), then every proxy's published port answers on
 * 127.0.0.1 and the proxy's own stats say each server it balances over is up. A container
 * that exits meanwhile, or a deadline passed, ends the wait with the container's last logs.
 */
import type Docker from 'dockerode';
import { join } from 'node:path';
import { PROXY_CFG_PATH, PROXY_SERVICE, proxiesOf, publishedPorts } from '../../render/compose.js';
import { configRefusal } from '../shared/config-refusal.js';
import { TLS_HOST, type LabSpec, type ProxyKind } from '../../lab-schema/types.js';
import { frontendRoutes, httpGet, READY_PATH, tcpAnswers as tcpAnswersAt, tlsHandshakes as tlsHandshakesAt } from '../shared/readiness.js';
import { runAgent } from './agent-client.js';
import { DetailedEnvironmentError } from './detailed-error.js';
import { formatLogs, lastLogLines } from './logs.js';

export interface ReadyContext {
  docker: Docker;
  spec: LabSpec;
  /** service → container */
  containers: Map<string, Docker.Container>;
  deadline: number;
  signal?: AbortSignal;
  /** The lab directory: a proxy that refuses its haproxy.cfg is told at the lab's file. */
  dir?: string;
}

const POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails with its logs if any of the services' containers is no longer running. */
async function assertRunning(ctx: ReadyContext, services: string[]): Promise<void> {
  for (const service of services) {
    const container = ctx.containers.get(service);
    if (!container) continue;
    const { State } = await container.inspect();
    if (State.Running && !State.Paused) continue;
    const state = State.Running ? 'paused' : `exited with code ${State.ExitCode}`;
    const lines = await lastLogLines(container, 40);
    // A proxy that refused the lab's haproxy.cfg: the learner's line, not a broken machine.
    const proxy = proxiesOf(ctx.spec).find((p) => PROXY_SERVICE[p] === service);
    const refusal = proxy && ctx.dir ? configRefusal(proxy, lines, PROXY_CFG_PATH[proxy], join(ctx.dir, service, 'haproxy.cfg')) : undefined;
    if (refusal) throw refusal;
    throw new DetailedEnvironmentError(
      `${service} ${state} during start-up`,
      'see its last lines below; fix the lab (or its image) and run `haplab up` again',
      formatLogs(service, state, lines.slice(-15)),
    );
  }
}

async function timedOut(ctx: ReadyContext, what: string[], services: string[]): Promise<never> {
  const logs = await Promise.all(services.map(async (s) => {
    const c = ctx.containers.get(s);
    return c ? formatLogs(s, 'running', await lastLogLines(c)) : '';
  }));
  throw new DetailedEnvironmentError(`the lab was not ready in time: ${what.join('; ')}`, 'see the last log lines below', logs.filter(Boolean).join('\n'));
}

export async function waitForApps(ctx: ReadyContext, probe: Docker.Container): Promise<void> {
  const services = ctx.spec.apps.map((a) => a.name);
  const targets = ctx.spec.apps.map((a) => ({ host: a.name, port: a.port }));
  for (;;) {
    ctx.signal?.throwIfAborted();
    await assertRunning(ctx, [...services, 'probe']);
    // The agent polls for up to a few seconds itself; between rounds we look for dead containers.
    const remaining = ctx.deadline - Date.now();
    const { waiting } = await runAgent(probe, { op: 'wait', targets, timeoutMs: Math.max(0, Math.min(3_000, remaining)) });
    if (waiting.length === 0) return;
    if (Date.now() >= ctx.deadline) {
      await timedOut(ctx, waiting.map((w) => `app ${w.target.host}:${w.target.port} does not answer (${w.error})`), waiting.map((w) => w.target.host));
    }
  }
}

const ATTEMPT_TIMEOUT_MS = 2_000;
const httpStatus = (port: number, path: string) => httpGet('127.0.0.1', port, path, ATTEMPT_TIMEOUT_MS, 'haplab-ready/1.0');
/** mode tcp: a connection that carries bytes back (the engine's port proxy accepts even before the proxy listens). */
const tcpAnswers = (port: number) => tcpAnswersAt('127.0.0.1', port, ATTEMPT_TIMEOUT_MS);

/** Servers whose status in the stats CSV is not up (disabled servers are expected to be down). */
export function serversNotUp(csv: string, spec: LabSpec): string[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim());
  const header = lines.shift()?.replace(/^#\s*/, '').split(',') ?? [];
  const [px, sv, st] = ['pxname', 'svname', 'status'].map((c) => header.indexOf(c));
  if (px! < 0 || sv! < 0 || st! < 0) return ['stats CSV has no status column'];
  const disabled = new Set(spec.backends.flatMap((b) => b.servers.filter((s) => s.disabled).map((s) => `${b.name}/${s.name}`)));
  const backends = new Set(spec.backends.map((b) => b.name));
  const notUp: string[] = [];
  for (const line of lines) {
    const cols = line.split(',');
    const key = `${cols[px!]}/${cols[sv!]}`;
    if (!backends.has(cols[px!]!) || cols[sv!] === 'BACKEND' || cols[sv!] === 'FRONTEND' || disabled.has(key)) continue;
    const status = cols[st!] ?? '';
    if (!/^UP\b/.test(status) && status !== 'no check') notUp.push(`${key} is ${status || 'unknown'}`);
  }
  return notUp;
}

async function proxyWaiting(spec: LabSpec, proxy: ProxyKind): Promise<string[]> {
  const ports = publishedPorts(spec, proxy);
  const waiting: string[] = [];
  for (const [i, frontend] of spec.frontends.entries()) {
    const port = ports[i]!.host;
    if (frontend.tls) {
      const error = await tlsHandshakesAt('127.0.0.1', port, ATTEMPT_TIMEOUT_MS, TLS_HOST);
      if (error) waiting.push(`${proxy} ${frontend.name} on 127.0.0.1:${port}: TLS ${error}`);
    } else if (frontend.mode === 'tcp') {
      const error = await tcpAnswers(port);
      if (error) waiting.push(`${proxy} ${frontend.name} on 127.0.0.1:${port}: ${error}`);
    } else {
      // READY_PATH, not /: a slow app (ep06 sleeps 5 s on /) would outlast the 2 s attempt.
      const answer = await httpStatus(port, READY_PATH);
      // Any answer the rules give (200, 403, 404) means the proxy routes; a 5xx means it has no server yet.
      if ('error' in answer) waiting.push(`${proxy} ${frontend.name} on 127.0.0.1:${port}: ${answer.error}`);
      else if (!frontendRoutes(answer)) waiting.push(`${proxy} ${frontend.name} on 127.0.0.1:${port}: HTTP ${answer.status}`);
    }
  }
  const statsPort = ports[ports.length - 1]!.host;
  const stats = await httpStatus(statsPort, '/stats;csv');
  if ('error' in stats) waiting.push(`${proxy} stats on 127.0.0.1:${statsPort}: ${stats.error}`);
  else waiting.push(...serversNotUp(stats.body, spec).map((s) => `${proxy}: server ${s}`));
  return waiting;
}

export async function waitForProxies(ctx: ReadyContext): Promise<void> {
  const proxies = proxiesOf(ctx.spec);
  const services = proxies.map((p) => PROXY_SERVICE[p]);
  for (;;) {
    ctx.signal?.throwIfAborted();
    await assertRunning(ctx, [...services, ...ctx.spec.apps.map((a) => a.name)]);
    const waiting = (await Promise.all(proxies.map((p) => proxyWaiting(ctx.spec, p)))).flat();
    if (waiting.length === 0) return;
    if (Date.now() >= ctx.deadline) await timedOut(ctx, waiting, services);
    await sleep(POLL_MS);
  }
}
