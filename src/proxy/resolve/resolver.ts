/**
 * A `resolvers` section at run time, as HAProxy 2.6's resolvers task runs it (resolvers.c
 * process_resolvers and resolv_process_responses): one UDP socket per nameserver; every
 * `timeout resolve` each name is queried again, to every nameserver at once; a query
 * unanswered for `timeout retry` is sent again until `resolve_retries` queries went out,
 * then the resolution times out. The first valid answer wins; an error counts once every
 * nameserver answered, and an error to the preferred family's query is retried at once
 * with the other family. Valid answers update the answer records, then each server in
 * turn takes its address (server-requester.ts).
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { ResolversConfig } from '../config/model.js';
import { encodeQuery, readResponse, responseId, type QueryType } from './dns-message.js';
import { Resolution, type Requester } from './resolution.js';

export type Clock = () => number;

export const monotonicMs: Clock = () => Math.floor(performance.now());

export class Resolver {
  private readonly resolutions: Resolution[] = [];
  /** HAProxy's active list: queries in flight, oldest query first. */
  private readonly running: Resolution[] = [];
  private readonly sockets: dgram.Socket[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly config: ResolversConfig,
    private readonly now: Clock = monotonicMs,
  ) {}

  /** Links a requester to the resolution of `hostname` by `type`, shared with others asking the same. */
  link(requester: Requester, hostname: string, type: QueryType): Resolution {
    const name = hostname.toLowerCase();
    let resolution = this.resolutions.find((r) => r.hostname === name && r.preferredType === type);
    if (!resolution) {
      resolution = new Resolution(name, type);
      this.resolutions.push(resolution);
    }
    resolution.requesters.push(requester);
    return resolution;
  }

  async start(): Promise<void> {
    for (const ns of this.config.nameservers) {
      const socket = dgram.createSocket(ns.host.includes(':') ? 'udp6' : 'udp4');
      socket.on('message', (message) => this.received(message));
      socket.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(ns.port, ns.host, () => {
          socket.removeListener('error', reject);
          resolve();
        });
      });
      this.sockets.push(socket);
    }
    this.process();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const socket of this.sockets) socket.close();
    this.sockets.length = 0;
  }

  /** process_resolvers: retries and timeouts of the queries in flight, then the names due again. */
  private process(): void {
    if (this.stopped) return;
    const now = this.now();
    const { retry, resolve } = this.config.timeouts;
    for (const resolution of [...this.running]) {
      if (now < resolution.lastQuery + retry) break;
      if (resolution.tries === 0) {
        if (resolution.responses === 0) resolution.status = 'timeout';
        this.finish(resolution, () => resolution.reportError(now));
        continue;
      }
      if (resolution.responses === 0 || resolution.queryType !== resolution.preferredType) {
        resolution.queryType = resolution.preferredType;
        resolution.tries--;
      } else {
        resolution.queryType = resolution.fallbackType();
      }
      this.send(resolution, now);
    }
    for (const resolution of this.resolutions) {
      if (resolution.running || resolution.requesters.length === 0) continue;
      if (resolution.lastResolution !== undefined && now < resolution.lastResolution + resolve) continue;
      this.run(resolution, now);
    }
    this.schedule(now);
  }

  private schedule(now: number): void {
    if (this.stopped) return;
    const { retry, resolve } = this.config.timeouts;
    let next = now + resolve;
    const first = this.running[0];
    if (first) next = Math.min(next, first.lastQuery + retry);
    for (const r of this.resolutions) if (!r.running && r.lastResolution !== undefined) next = Math.min(next, r.lastResolution + resolve);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.process(), Math.max(0, next - this.now()));
    this.timer.unref();
  }

  /** resolv_run_resolution: a fresh query id, `resolve_retries` tries, the preferred family first. */
  private run(resolution: Resolution, now: number): void {
    let id: number;
    do id = randomInt(0, 65536);
    while (this.running.some((r) => r.queryId === id));
    resolution.queryId = id;
    resolution.running = true;
    resolution.queryType = resolution.preferredType;
    resolution.tries = this.config.resolveRetries - 1;
    this.send(resolution, now);
  }

  /** resolv_send_query: to every nameserver; the resolution goes to the end of the active list. */
  private send(resolution: Resolution, now: number): void {
    resolution.queries = 0;
    resolution.responses = 0;
    resolution.lastQuery = now;
    const query = encodeQuery(resolution.queryId, resolution.hostname, resolution.queryType, this.config.acceptedPayloadSize);
    for (const socket of this.sockets) {
      socket.send(query);
      resolution.queries++;
    }
    const at = this.running.indexOf(resolution);
    if (at >= 0) this.running.splice(at, 1);
    this.running.push(resolution);
  }

  private finish(resolution: Resolution, report: () => void): void {
    const at = this.running.indexOf(resolution);
    if (at >= 0) this.running.splice(at, 1);
    report();
  }

  /** resolv_process_responses for one datagram. */
  private received(message: Buffer): void {
    if (this.stopped || message.length > this.config.acceptedPayloadSize) return;
    const id = responseId(message);
    const resolution = this.running.find((r) => r.queryId === id);
    if (!resolution) return;
    const now = this.now();
    resolution.responses++;
    const verdict = readResponse(message, resolution.hostname, this.config.acceptedPayloadSize);
    if (verdict.kind !== 'valid') {
      resolution.status = verdict.kind;
      if (resolution.responses < resolution.queries) return;
      if (resolution.preferredType !== resolution.queryType) {
        if (resolution.tries === 0) this.finish(resolution, () => resolution.reportError(now));
      } else {
        resolution.queryType = resolution.fallbackType();
        this.send(resolution, now);
      }
      this.schedule(now);
      return;
    }
    resolution.status = 'valid';
    resolution.lastValid = now;
    resolution.answers.merge(verdict.addresses, now);
    resolution.answers.purgeObsolete(this.config.hold.obsolete, now);
    this.finish(resolution, () => {
      for (const requester of resolution.requesters) requester.resolved(resolution, now);
      resolution.reset(now);
    });
    this.schedule(now);
  }
}
