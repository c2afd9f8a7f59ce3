/**
 * Failover under chaos (`verify --chaos`), the pure half: what the proxy's config implies
 * for a stopped or paused server, and the judges that compare a client-side timeline with
 * it. The stream lives in failover-stream.ts, the phases of a run in failover.ts.
 * Past ~300 lines because each judge sits beside the HAProxy rule it applies (below); the
 * rules are one text and read best in one place.
 *
 * What HAProxy 2.6 does (src/check.c, src/tcpcheck.c, src/stream.c back_handle_st_cer,
 * doc/configuration.txt), and so what the TypeScript proxy must do:
 *   - a checked server is checked every `inter` (default 2 s), the next check `inter`
 *     after the previous one *ended*; it goes down after `fall` (3) failures in a row and
 *     comes back after `rise` (2) successes in a row;
 *   - a check's timeout: with `timeout check` set, min(timeout connect, inter) to connect
 *     and `timeout check` to answer; unset, `inter` for the whole check;
 *   - a plain `check` only connects: the kernel completes the handshake of a frozen
 *     (SIGSTOP, docker pause) process, so only `option httpchk` sees a paused server;
 *   - a failed connect is retried `retries` times (default 3), min(timeout connect, 1 s)
 *     apart; with `option redispatch` a retry may go to another server — at once when the
 *     algorithm is not a hash and other servers are up, else on the retry the interval
 *     names (by default the last); without it, the last failure answers 503;
 *   - a request whose connection was accepted is never retried: a frozen server's
 *     requests wait for `timeout server` (50 s in the seed configs).
 */
import { readFile } from 'node:fs/promises';
import { BadInputError } from '../../errors.js';
import { parseConfig } from '../../proxy/config/index.js';
import type { LabInstance, StoppedApp } from '../../runtime/types.js';
import type { BackendSpec, ProxyKind } from '../../lab-schema/types.js';
import { RENDERED_CONFIG, renderedConfig, runningConfigFile } from '../running-config.js';
import type { Check } from '../report/types.js';

export type ChaosHow = 'stop' | 'pause';
export type ChaosMode = ChaosHow | 'both';

/** `--chaos [how]`: bare means stop. */
export function parseChaosMode(value: string | boolean | undefined): ChaosMode | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return 'stop';
  if (value === 'stop' || value === 'pause' || value === 'both') return value;
  throw new BadInputError(`unknown chaos mode ${JSON.stringify(value)}`, { flag: '--chaos' }, 'use stop, pause or both (put --chaos after the lab)');
}

export function chaosHows(mode: ChaosMode): ChaosHow[] {
  return mode === 'both' ? ['stop', 'pause'] : [mode];
}

/** What the config says about one checked server and its backend. Durations in ms. */
export interface FailoverSettings {
  /** Where it was read: the file the proxy runs, or the spec's rendering. */
  source: string;
  check: boolean;
  inter: number;
  rise: number;
  fall: number;
  httpCheck: boolean;
  timeoutConnect?: number;
  timeoutCheck?: number;
  timeoutServer?: number;
  retries: number;
  redispatch: boolean;
  /** `option redispatch <interval>`: -1 (the last retry) unless given; 0 disables. */
  redispatchInterval: number;
  /** The backend balances by a hash (source, uri, hdr, url_param): no immediate redispatch. */
  hash: boolean;
  /** Usable active servers while all are up (HAProxy's srv_act). */
  activeServers: number;
}

const HASHES = new Set(['source', 'uri', 'hdr', 'url_param']);

export function settingsFromConfig(text: string, source: string, backend: BackendSpec, server: string): FailoverSettings {
  const config = parseConfig(text, { file: source });
  const section = config.backends.get(backend.name);
  if (!section) throw new Error(`${source} has no backend ${backend.name}`);
  const s = section.servers.find((x) => x.name === server);
  if (!s) throw new Error(`${source}: backend ${backend.name} has no server ${server}`);
  return {
    source,
    check: s.check,
    inter: s.inter,
    rise: s.rise,
    fall: s.fall,
    httpCheck: section.options.httpCheck !== undefined,
    timeoutConnect: section.timeouts.connect,
    timeoutCheck: section.timeouts.check,
    timeoutServer: section.timeouts.server,
    retries: section.retries,
    redispatch: section.options.redispatch,
    redispatchInterval: section.options.redispatchInterval,
    hash: HASHES.has(section.balance.algorithm),
    activeServers: section.servers.filter((x) => !x.backup && !x.disabled && x.weight > 0).length,
  };
}

/** From the config file the running proxy reads (as its runtime names it), else from the spec rendered. */
export async function readFailoverSettings(instance: LabInstance, proxy: ProxyKind, backend: BackendSpec, server: string): Promise<FailoverSettings> {
  const path = runningConfigFile(instance, proxy);
  let text: string | undefined;
  try {
    text = path === undefined ? undefined : await readFile(path, 'latin1');
  } catch {
    text = undefined;
  }
  if (text !== undefined) return settingsFromConfig(text, path!, backend, server);
  return settingsFromConfig(renderedConfig(instance.spec).text, RENDERED_CONFIG, backend, server);
}

/** What the config implies for one disruption of one proxy. Durations in ms. */
export interface FailoverExpectation {
  how: ChaosHow;
  /** False when the proxy cannot notice (a paused server behind a plain TCP check). */
  detect: boolean;
  /** Latest send time, after the disruption began, of a request still routed to the server. */
  outBoundMs: number;
  /** How long the stream watches a server the proxy cannot notice. */
  watchMs: number;
  /** From the app answering again to its first answer to a client. */
  backBoundMs: number;
  /** How long one failing check takes at most. */
  failingCheckMs: number;
  /** 0: no request may be lost; otherwise at most this many. */
  maxLost: number;
  /** Why that many. */
  lossReason: string;
  /** The client's per-request timeout: beyond it a request counts as hung (lost). */
  requestTimeoutMs: number;
  /**
   * A request answered this much slower than its server's baseline went to the dead server
   * first; undefined when a retry costs no time (a local refused connect redispatched at once).
   */
  retryLatencyMs?: number;
  /** The formulas, for the report. */
  outFormula: string;
  backFormula: string;
}

export interface ExpectationContext {
  /** What a connect to the stopped app meets (Runtime.stoppedApp). */
  stoppedApp: StoppedApp;
  /** One request per proxy every cadenceMs. */
  cadenceMs: number;
  /** Fraction of the stream the target served before the disruption. */
  share: number;
  /** Seconds the slowest app sleeps before answering (ep06), in ms. */
  appDelayMs: number;
}

/** HAProxy's turn-around delay before a retry: min(timeout connect, 1 s). */
export function turnaroundMs(s: FailoverSettings): number {
  return Math.min(s.timeoutConnect ?? 1000, 1000);
}

/** How long a check may take before it fails, by what the server does. */
export function failingCheckMs(s: FailoverSettings, how: ChaosHow, stoppedApp: StoppedApp): number {
  const connectPhase = s.timeoutCheck ? Math.min(s.timeoutConnect ?? s.inter, s.inter) : s.inter;
  if (how === 'stop') {
    // A closed port refuses at once; a vanished address (a killed container) leaves the
    // connect waiting for the connect timeout (or the neighbour lookup to fail).
    return stoppedApp === 'refused' ? 0 : connectPhase;
  }
  // A frozen server: the kernel may complete the handshake, and the check then waits for an
  // answer. HAProxy 2.6 sets connect + `timeout check` on its check task without moving it
  // in its timer queue (tcpcheck_eval_connect): the check ends at the first turn of its event
  // loop after that, at the latest at the connect phase's end, min(timeout connect, inter);
  // the later of the two bounds it (src/proxy/health.ts; test/integration/health-parity.test.ts
  // measures both ends). Measured on docker (inter 2 s, timeout check 1 s, timeout connect
  // 5 s): HAProxy out at +10.6 to +11.2 s, ~2 s per failing check; haplab's proxy, which
  // ends it at `timeout check`, at +7.2 to +7.6 s.
  return s.timeoutCheck ? Math.max(s.timeoutCheck, connectPhase) : s.inter;
}

/** How long a client waits for a request that first went to the stopped server. */
function stoppedLatencyMs(s: FailoverSettings, stoppedApp: StoppedApp): { ms: number; path: string } {
  const connectFail = stoppedApp === 'refused' ? 0 : (s.timeoutConnect ?? 5000);
  const turn = turnaroundMs(s);
  if (!s.redispatch || s.redispatchInterval === 0 || s.retries === 0) {
    return { ms: (s.retries + 1) * connectFail + s.retries * turn, path: `${s.retries} retries on the same server, then 503` };
  }
  if (!s.hash && s.activeServers > 1) return { ms: connectFail, path: 'redispatched at the first failure' };
  const at = s.redispatchInterval > 0 ? s.redispatchInterval : s.retries + 1 + s.redispatchInterval;
  const retry = Math.min(Math.max(1, at), s.retries);
  return { ms: (retry + 1) * connectFail + retry * turn, path: `redispatched at retry ${retry}` };
}

const SLACK_MS = 500;
const MIN_REQUEST_TIMEOUT_MS = 3000;
const MAX_REQUEST_TIMEOUT_MS = 25_000;
const LOST_REQUEST_TIMEOUT_MS = 6000;

export function impliedFailover(s: FailoverSettings, how: ChaosHow, ctx: ExpectationContext): FailoverExpectation {
  const detect = s.check && (how === 'stop' || s.httpCheck);
  const fail = failingCheckMs(s, how, ctx.stoppedApp);
  // Tolerance: one more check interval where checks decide (a check runs late under load:
  // HAProxy 2.6 in a busy container took 1.35 s for a 1 s `timeout check`), else 500 ms.
  const slack = (ms: number) => (ms > 0 ? Math.max(SLACK_MS, s.inter) : SLACK_MS);
  const outCore = s.fall * (s.inter + fail);
  const outBoundMs = outCore + slack(outCore);
  const rotationMs = ctx.cadenceMs / Math.max(ctx.share, 0.05);
  const backCore = detect ? fail + s.rise * s.inter : 0;
  const backBoundMs = Math.round(backCore + rotationMs + ctx.appDelayMs + slack(backCore));
  const stopped = stoppedLatencyMs(s, ctx.stoppedApp);
  const rescued = how === 'stop' && s.redispatch && s.redispatchInterval !== 0 && s.retries > 0;
  // A request the config rescues is waited for as long as its retries take (up to 25 s);
  // one it cannot rescue is lost anyway, and the client gives up after a few seconds.
  const requestTimeoutMs = ctx.appDelayMs + (how === 'pause'
    ? MIN_REQUEST_TIMEOUT_MS
    : rescued
      ? Math.min(MAX_REQUEST_TIMEOUT_MS, Math.max(MIN_REQUEST_TIMEOUT_MS, stopped.ms + 2000))
      : Math.min(LOST_REQUEST_TIMEOUT_MS, Math.max(MIN_REQUEST_TIMEOUT_MS, stopped.ms + 1000)));
  const watchMs = detect ? outBoundMs : s.fall * s.inter + s.inter;
  // Requests that can reach the server before the proxy drops it: at most the window
  // over the cadence, times the server's share (with room for chance), plus one.
  const window = detect ? outBoundMs : watchMs;
  const shareBound = Math.min(1, 1.5 * ctx.share + 0.05);
  const exposed = Math.ceil((window / ctx.cadenceMs) * shareBound) + 1;
  let maxLost: number;
  let lossReason: string;
  if (how === 'pause') {
    maxLost = exposed;
    lossReason = `a frozen server accepts connections, so retries never apply: requests routed to it hang (timeout server ${fmtMs(s.timeoutServer)}; the client gives up after ${fmtMs(requestTimeoutMs)})`;
  } else if (!s.redispatch || s.redispatchInterval === 0) {
    maxLost = exposed;
    lossReason = `no option redispatch: ${stopped.path}`;
  } else if (s.retries === 0) {
    maxLost = exposed;
    lossReason = 'retries 0: a failed connect is not retried, so no redispatch happens';
  } else {
    maxLost = 0;
    lossReason = `retries ${s.retries} + option redispatch: a failed connect is ${stopped.path}`;
  }
  const failText = fail === 0 ? '0 ms (refused at once)' : fmtMs(fail);
  return {
    how, detect, outBoundMs, watchMs, backBoundMs, failingCheckMs: fail, maxLost, lossReason, requestTimeoutMs,
    retryLatencyMs: how === 'stop' && stopped.ms > 0 ? Math.round(0.8 * Math.min(turnaroundMs(s), stopped.ms)) : undefined,
    outFormula: `fall ${s.fall} × (inter ${fmtMs(s.inter)} + failing check ${failText}) + one inter ${fmtMs(slack(outCore))} tolerance`,
    backFormula: detect
      ? `failing check ${failText} + rise ${s.rise} × inter ${fmtMs(s.inter)} + one turn of the rotation ${fmtMs(rotationMs)}${ctx.appDelayMs ? ` + app delay ${fmtMs(ctx.appDelayMs)}` : ''} + one inter ${fmtMs(slack(backCore))} tolerance`
      : `never out: the next turn of the rotation ${fmtMs(rotationMs)}${ctx.appDelayMs ? ` + app delay ${fmtMs(ctx.appDelayMs)}` : ''} + ${fmtMs(slack(0))} tolerance`,
  };
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return 'unset';
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

function fmtAt(ms: number): string {
  return `+${(ms / 1000).toFixed(2)} s`;
}

/** One request of the stream, times on the verifier's clock. */
export interface StreamRecord {
  sentAt: number;
  doneAt: number;
  status: number;
  servedBy?: string;
  error?: string;
}

/** One proxy's view of one disruption, every time on the verifier's clock. */
export interface ChaosTimeline {
  how: ChaosHow;
  /** The app disrupted and its server's name in the backend. */
  app: string;
  server: string;
  records: StreamRecord[];
  disruptStart: number;
  disruptEnd: number;
  resumeStart: number;
  /** Undefined when resume failed. */
  resumeEnd?: number;
  resumeError?: string;
  streamEnd: number;
  /** Quiet window: this long without a request reaching the server means it is out. */
  quietMs: number;
  /** Per app: the latency above which an answer must have waited for a retry. */
  slowMs: Record<string, number>;
  /** The proxy's stats page: undefined when not polled or never readable. */
  stats?: { downAt?: number; upAt?: number; polls: number };
}

export function isOk(r: StreamRecord): boolean {
  return r.status >= 200 && r.status < 300;
}

function describeLoss(r: StreamRecord): string {
  if (r.status === 0) return /timeout/i.test(r.error ?? '') ? 'hung' : (r.error ?? 'no answer').split(':')[0]!;
  return String(r.status);
}

/**
 * Did this request meet the disrupted server? It failed, hung, or was answered only after
 * waiting for retries: slower than its answering server ever is by a retry's delay. (That
 * server may be the disrupted one itself, when a retry got through once it was back.)
 */
export function reachedServer(t: Pick<ChaosTimeline, 'slowMs'>, r: StreamRecord): boolean {
  if (!isOk(r)) return true;
  const slow = r.servedBy ? t.slowMs[r.servedBy] : undefined;
  return slow !== undefined && r.doneAt - r.sentAt > slow;
}

function tally(records: readonly StreamRecord[], app: string): string {
  const kinds: Record<string, number> = {};
  for (const r of records) {
    const k = !isOk(r) ? describeLoss(r) : r.servedBy === app ? `held, answered late by ${app}` : `answered after retries by ${r.servedBy ?? '?'}`;
    kinds[k] = (kinds[k] ?? 0) + 1;
  }
  return Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ');
}

export function judgeOutOfRotation(t: ChaosTimeline, e: FailoverExpectation): Check {
  const name = `failover.${t.how}.out-of-rotation`;
  const during = t.records.filter((r) => r.sentAt >= t.disruptEnd && r.sentAt < t.resumeStart);
  const reached = during.filter((r) => reachedServer(t, r));
  const servedAnyway = during.filter((r) => isOk(r) && r.servedBy === t.app && r.doneAt < t.resumeStart);
  const lateFrom = t.resumeStart - t.quietMs;
  const late = reached.filter((r) => r.sentAt > lateFrom);
  const last = reached.length ? Math.max(...reached.map((r) => r.sentAt)) - t.disruptStart : undefined;
  const statsText = t.stats
    ? t.stats.downAt !== undefined ? `stats page: DOWN by ${fmtAt(t.stats.downAt - t.disruptStart)}` : `stats page: never DOWN in ${t.stats.polls} reads`
    : 'no stats page read';
  const clientText = reached.length
    ? `${reached.length} requests reached ${t.server} after the ${t.how} (${tally(reached, t.app)}), the last sent at ${fmtAt(last!)}`
    : `no request was seen reaching ${t.server} after the ${t.how}`;
  const watched = `the ${t.how} took ${fmtMs(t.disruptEnd - t.disruptStart)}, the server watched until ${fmtAt(t.resumeStart - t.disruptStart)}`;
  const base = { name, detail: `${clientText}; ${statsText}; ${watched}; ${e.outFormula}` };

  if (servedAnyway.length > 0 && t.how === 'stop') {
    return { ...base, expected: `${t.app} stopped`, observed: `${t.app} answered ${servedAnyway.length} requests after the stop`, pass: false, detail: `the fault did not take: ${base.detail}` };
  }
  if (!e.detect) {
    const expected = `stays in rotation: a plain TCP \`check\` connects, and the kernel completes the handshake of a frozen process (only \`option httpchk\` would notice)`;
    const stillIn = late.length > 0 || (reached.length > 0 && t.stats !== undefined && t.stats.downAt === undefined);
    const removed = t.stats?.downAt !== undefined;
    return {
      ...base, expected,
      observed: stillIn ? `still routed at ${fmtAt(lateFrom - t.disruptStart)} or later` : removed ? `taken out (${statsText})` : 'no request reached it late in the window',
      pass: stillIn && !removed,
    };
  }
  const expected = `out of rotation ≤ ${fmtAt(e.outBoundMs)} after the ${t.how}`;
  if (late.length > 0) {
    return { ...base, expected, observed: `still routed ${fmtAt(Math.max(...late.map((r) => r.sentAt)) - t.disruptStart)} after the ${t.how} (end of the window)`, pass: false };
  }
  if (t.stats && t.stats.downAt === undefined && t.stats.polls > 0) {
    return { ...base, expected, observed: `${last !== undefined ? `last request reaching it at ${fmtAt(last)}, but ` : ''}the stats page never showed ${t.server} DOWN`, pass: false };
  }
  const gap = last ?? (t.stats?.downAt !== undefined ? t.stats.downAt - t.disruptStart : undefined);
  if (gap === undefined) {
    return {
      ...base, expected, observed: '—', pass: false,
      skipped: `no client request failed or slowed (the proxy hid the dead server) and no stats page was read: when it left rotation is not observable`,
    };
  }
  const from = last !== undefined ? 'last request reaching it' : 'no request failed or slowed; DOWN on the stats page';
  return { ...base, expected, observed: `${fmtAt(gap)} (${from})`, pass: gap <= e.outBoundMs };
}

export function judgeBackInRotation(t: ChaosTimeline, e: FailoverExpectation): Check {
  const name = `failover.${t.how}.back-in-rotation`;
  const expected = `back ≤ ${fmtAt(e.backBoundMs)} after ${t.app} answers again`;
  const resumeText = t.resumeEnd !== undefined ? `resume took ${fmtMs(t.resumeEnd - t.resumeStart)} (until the app answered)` : '';
  if (t.resumeEnd === undefined) {
    return { name, expected, observed: 'the app could not be resumed', pass: false, detail: t.resumeError ?? 'resume failed' };
  }
  const first = t.records.filter((r) => r.sentAt >= t.resumeEnd! && isOk(r) && r.servedBy === t.app).sort((a, b) => a.doneAt - b.doneAt)[0];
  const statsText = t.stats ? (t.stats.upAt !== undefined ? `; stats page: UP by ${fmtAt(t.stats.upAt - t.resumeEnd)}` : '; stats page: not seen UP before the stream ended') : '';
  if (!first) {
    return {
      name, expected, observed: `no answer from ${t.app} in ${fmtAt(t.streamEnd - t.resumeEnd)}`, pass: false,
      detail: `${resumeText}${statsText}; ${e.backFormula}`,
    };
  }
  const gap = first.doneAt - t.resumeEnd;
  return { name, expected, observed: `${fmtAt(gap)} (first answer from ${t.app})`, pass: gap <= e.backBoundMs, detail: `${resumeText}${statsText}; ${e.backFormula}` };
}

export function judgeNoLoss(t: ChaosTimeline, e: FailoverExpectation): Check {
  const name = `failover.${t.how}.no-loss`;
  const counted = t.records.filter((r) => r.sentAt >= t.disruptEnd);
  const lost = counted.filter((r) => !isOk(r));
  const atFault = t.records.filter((r) => r.sentAt < t.disruptEnd && r.doneAt > t.disruptStart && !isOk(r));
  const expected = e.maxLost === 0 ? `no request lost (${e.lossReason})` : `up to ${e.maxLost} lost (${e.lossReason})`;
  const parts = [
    `${counted.length} requests sent after the ${t.how}, ${lost.length} lost${lost.length ? ` (${tally(lost, t.app)})` : ''}`,
    `lost = not 2xx, or no answer in ${fmtMs(e.requestTimeoutMs)} (hung)`,
  ];
  if (atFault.length) parts.push(`${atFault.length} in flight while the ${t.how} landed failed (${tally(atFault, t.app)}): not counted, no retry can save a request the server had accepted`);
  return {
    name, expected, observed: `${lost.length} lost of ${counted.length}`,
    pass: counted.length > 0 && lost.length <= e.maxLost,
    detail: parts.join('; '),
  };
}
