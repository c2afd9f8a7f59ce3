/**
 * Session persistence (ep10), for every backend with a persistence cookie or a stick table,
 * through the HTTP frontend that sends to it by default:
 *
 * cookie (`cookie NAME insert …`):
 *  - new clients: one full weight cycle of requests without a cookie, each answered and told
 *    its server in Set-Cookie, in HAProxy's own rotation order (the balance oracle);
 *  - returning clients: each sends its cookie (and an application cookie) back for R rounds,
 *    a new client between rounds moving the rotation on; every request must stay on its
 *    server, get no new Set-Cookie, and reach the app without NAME when `indirect`
 *    (the echo route says what the app saw). R is computed: a client stays on one server by
 *    chance under plain balancing with probability ≤ pMax^R ≤ α;
 *  - redispatch (when the runtime can stop apps): a client's server is stopped; its next
 *    request must be answered elsewhere with a new cookie, and it must stay there.
 *
 * stick table (`stick-table type ip … expire T` + `stick on src`), from distinct addresses:
 *  - first requests balanced in rotation order; R more rounds stuck; at T/4 still stuck;
 *  - T plus a tolerance after its last request, an address is balanced again: a new address
 *    moves the rotation on by one, then every address comes back in the first order, and the
 *    sequence must follow the rotation (a table that kept them would not).
 */
import type { BackendSpec, CookieSpec, LabSpec } from '../../lab-schema/types.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { activeServers, serverOf } from '../observe.js';
import { skippedCheck, type Check } from '../report/types.js';
import { judgeOrder } from './roundrobin.js';
import { judgeIndirect, judgeIssued, judgeRedispatch, judgeReturning, judgeStuck, stickyRounds, type ReturningRequest } from './persistence-judge.js';
import { tallyServed, type Model, type ModelContext, type ModelResult, type PerProxy, type Probe, type ProxyOutcome } from './types.js';

const CAPTURE = ['set-cookie', 'cache-control'];
/** The application cookie every returning client also sends: it must reach the app untouched. */
const APP_COOKIE = 'lab=keep';

interface Target {
  frontend: string;
  backend: BackendSpec;
}

/** The HTTP frontend sending to `backend` by default, without rules. */
function frontendFor(spec: LabSpec, backend: BackendSpec): string | undefined {
  return spec.frontends.find((f) => f.mode === 'http' && f.defaultBackend === backend.name && !(f.rules?.length))?.name;
}

/** The path every app of the backend answers with the Cookie header it saw, if there is one. */
function echoPath(spec: LabSpec, backend: BackendSpec): string | undefined {
  const paths = backend.servers.map((s) => spec.apps.find((a) => a.name === s.app)?.routes.find((r) => r.echoHeader?.toLowerCase() === 'cookie')?.path);
  return paths.every((p) => p !== undefined && p === paths[0]) ? paths[0] : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

type Outcomes = PerProxy<ProxyOutcome>;

function add(outcomes: Outcomes, proxy: Parameters<Outcomes['get']>[0], checks: Check[], balanced: ProbeResponse[], backend: BackendSpec, sent: number): void {
  const o = outcomes.get(proxy)!;
  o.checks.push(...checks);
  o.requests += sent;
  // Only balanced requests count in lbtot: a persistent one is assigned, not balanced.
  tallyServed(backend, balanced, o.served);
}

async function runCookie(ctx: ModelContext, t: Target, cookie: CookieSpec, outcomes: Outcomes, notes: string[]): Promise<void> {
  const { frontend, backend } = t;
  const prefix = `persist.cookie.${backend.name}`;
  const path = echoPath(ctx.spec, backend) ?? '/';
  const servers = activeServers(backend);
  const cycle = servers.reduce((s, x) => s + x.weight, 0);
  const clients = Math.max(servers.length, Math.min(cycle, 12));
  const rounds = stickyRounds(backend, ctx.stats.alpha);
  const fresh = (): Probe => ({ method: 'GET', path, connection: 'fresh' });
  ctx.onStep?.(`persistence: ${clients} new clients to ${frontend}`);
  const first = await ctx.send({ label: 'new clients', frontend, probes: Array.from({ length: clients }, fresh), options: { captureHeaders: CAPTURE } });

  // Returning clients: two per server, each sending back the cookie its server is given
  // (judgeIssued proves the proxy gives exactly that one), a new client between rounds.
  const owners = servers.filter((x) => x.cookie !== undefined).flatMap((x) => [x, x]);
  const probes: Probe[] = [];
  const ownerOf: (string | undefined)[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const owner of owners) {
      probes.push({ method: 'GET', path, connection: 'fresh', headers: { Cookie: `${cookie.name}=${owner.cookie}; ${APP_COOKIE}` } });
      ownerOf.push(owner.name);
    }
    probes.push(fresh());
    ownerOf.push(undefined);
  }
  ctx.onStep?.(`persistence: ${owners.length} clients × ${rounds} rounds with their cookie`);
  const again = await ctx.send({ label: 'returning clients', frontend, probes, options: { captureHeaders: CAPTURE } });
  for (const [proxy, responses] of first) {
    const got = again.get(proxy) ?? [];
    const returning: ReturningRequest[] = got.flatMap((response, i) => (ownerOf[i] !== undefined ? [{ server: ownerOf[i]!, response }] : []));
    const newOnes = got.filter((_, i) => ownerOf[i] === undefined);
    const checks: Check[] = [
      judgeIssued(prefix, backend, cookie, [...responses, ...newOnes]),
      judgeOrder(`${prefix}.new-clients`, backend, responses.map((r) => serverOf(backend, r)), ctx.oracles.balance),
      ...(returning.length > 0 ? judgeReturning(prefix, backend, cookie, rounds, returning) : [skippedCheck(`${prefix}.sticky`, 'clients stay on their server', 'no client was given a cookie to send back')]),
      echoPath(ctx.spec, backend) && returning.length > 0
        ? judgeIndirect(prefix, cookie, APP_COOKIE, returning.map((r) => r.response.body))
        : skippedCheck(`${prefix}.indirect`, 'what the app sees of the cookie', 'no app route echoes the Cookie header (echoHeader: Cookie)'),
    ];
    add(outcomes, proxy, checks, [...responses, ...newOnes], backend, responses.length + returning.length + newOnes.length);
  }
  notes.push(`persistence ${backend.name}: ${clients} new clients, then ${owners.length} clients × ${rounds} rounds with their cookie (computed: staying by chance ≤ α), a new client between rounds`);
}

/** Stops the server of the first cookie client and sends its cookie: it must move, with a new cookie. */
async function runRedispatch(ctx: ModelContext, t: Target, cookie: CookieSpec, outcomes: Outcomes, notes: string[]): Promise<void> {
  const { frontend, backend } = t;
  const prefix = `persist.cookie.${backend.name}`;
  const expected = 'a client whose server is down is answered elsewhere with a new cookie';
  const victim = activeServers(backend).find((s) => s.cookie !== undefined && s.check) ?? activeServers(backend).find((s) => s.cookie !== undefined);
  const skip = (reason: string) => { for (const o of outcomes.values()) o.checks.push(skippedCheck(`${prefix}.redispatch`, expected, reason)); };
  if (!ctx.faults) return skip('this runtime cannot stop apps');
  if (!victim) return skip(`no server of ${backend.name} has a cookie`);
  if (!backend.redispatch && !victim.check) return skip(`neither option redispatch nor check on ${victim.name}: HAProxy would keep failing its clients`);
  const path = echoPath(ctx.spec, backend) ?? '/';
  const withCookie = (value: string): Probe => ({ method: 'GET', path, connection: 'fresh', headers: { Cookie: `${cookie.name}=${value}` } });
  ctx.onStep?.(`persistence: stopping ${victim.app} (${victim.name}) and sending its cookie`);
  await ctx.faults.stop(victim.app);
  try {
    const moved = await ctx.send({ label: 'redispatch', frontend, probes: [withCookie(victim.cookie!)], options: { captureHeaders: CAPTURE, timeoutMs: ctx.spec.timeouts.connect * 4 + 5000 } });
    for (const [proxy, [response]] of moved) {
      const newValue = /^[^=]+=([^;]*)/.exec(response?.headers?.['set-cookie'] ?? '')?.[1];
      const after = newValue ? (await ctx.send({ label: 'after redispatch', frontend, probes: [withCookie(newValue)], options: { captureHeaders: CAPTURE } })).get(proxy)?.[0] : undefined;
      const check = judgeRedispatch(prefix, backend, cookie, victim.name, response!, after ?? { status: 0, body: '', error: 'no new cookie to send', sentAtMs: 0, doneAtMs: 0 });
      const o = outcomes.get(proxy)!;
      o.checks.push(check);
      o.requests += after ? 2 : 1;
      o.disrupted = true;
    }
  } finally {
    await ctx.faults.start(victim.app);
  }
  notes.push(`persistence ${backend.name}: ${victim.name} (${victim.app}) stopped, its client's cookie sent, then the app started again`);
}

async function runStick(ctx: ModelContext, t: Target, expireMs: number, outcomes: Outcomes, notes: string[]): Promise<void> {
  const { frontend, backend } = t;
  const prefix = `persist.stick.${backend.name}`;
  const servers = activeServers(backend);
  const cycle = servers.reduce((s, x) => s + x.weight, 0);
  // Whole cycles, at least two addresses per server: the first round's counts are exact.
  const count = cycle * Math.max(1, Math.ceil((2 * servers.length) / cycle));
  const rounds = stickyRounds(backend, ctx.stats.alpha);
  const addresses = await ctx.prober.clientAddresses(count + 1, ctx.spec.clientSubnet);
  const known = addresses.slice(0, count);
  const newcomer = addresses[count]!;
  const from = (address: string): Probe => ({ method: 'GET', path: '/', connection: 'fresh', sourceAddress: address });
  const rotate = (k: number) => known.map((_, i) => known[(i + k) % count]!);

  // One batch for the first round and the rounds after it, to both proxies at once (each
  // judges its own table): a runtime whose every batch takes a while to start (a docker exec
  // on a loaded machine) adds no gap between them that the expiry could fall into.
  ctx.onStep?.(`persistence: ${count} client addresses to ${frontend}, then ${rounds} rounds`);
  const laterOrder = Array.from({ length: rounds }, (_, r) => rotate(r + 1)).flat();
  const both = await ctx.send({ label: 'addresses', frontend, probes: [...known, ...laterOrder].map(from), options: {}, proxiesAtOnce: true });
  const first = new Map([...both].map(([p, rs]) => [p, rs.slice(0, count)]));
  const later = new Map([...both].map(([p, rs]) => [p, rs.slice(count)]));

  // Still stuck a quarter of the expiry later: the batch's start-up time comes on top, and
  // three quarters leave room for it.
  ctx.onStep?.(`persistence: waiting ${Math.round(expireMs / 4)} ms (a quarter of the stick-table expiry)`);
  await sleep(expireMs / 4);
  // In another order again: plain balancing would move them here even where whole cycles passed.
  const aliveOrder = rotate(1);
  const alive = await ctx.send({ label: 'before expiry', frontend, probes: aliveOrder.map(from), options: {}, proxiesAtOnce: true });

  // HAProxy's expiry task removes an entry on time; the tolerance covers timer slack and load.
  const toleranceMs = Math.max(500, Math.round(expireMs / 8));
  ctx.onStep?.(`persistence: waiting ${expireMs + toleranceMs} ms (the expiry and ${toleranceMs} ms)`);
  await sleep(expireMs + toleranceMs);
  const expired = await ctx.send({ label: 'after expiry', frontend, probes: [newcomer, ...known].map(from), options: {}, proxiesAtOnce: true });

  for (const [proxy, firstResponses] of first) {
    const stuckTo = new Map(known.map((a, i) => [a, serverOf(backend, firstResponses[i]!)]));
    const laterResponses = later.get(proxy) ?? [];
    const aliveResponses = alive.get(proxy) ?? [];
    const expiredResponses = expired.get(proxy) ?? [];
    const expiredSequence = expiredResponses.map((r) => serverOf(backend, r));
    const moved = known.filter((a, i) => expiredSequence[i + 1] !== stuckTo.get(a)).length;
    const expiredOrder = judgeOrder(`${prefix}.expired`, backend, expiredSequence, ctx.oracles.balance);
    const checks: Check[] = [
      judgeOrder(`${prefix}.new-addresses`, backend, firstResponses.map((r) => serverOf(backend, r)), ctx.oracles.balance),
      judgeStuck(`${prefix}.sticky`, `each address stays on its first server for ${rounds} more rounds`, backend, stuckTo, laterOrder.map((address, i) => ({ address, response: laterResponses[i]! }))),
      judgeStuck(`${prefix}.before-expiry`, `each address still on its server ${Math.round(expireMs / 4)} ms after its last request (expire ${expireMs} ms)`, backend, stuckTo, aliveOrder.map((address, i) => ({ address, response: aliveResponses[i]! }))),
      {
        ...expiredOrder,
        expected: `${expireMs + toleranceMs} ms after their last request the addresses are balanced again: a new address, then all of them, in rotation order`,
        detail: `${expiredOrder.detail}; ${moved}/${count} addresses on another server than before`,
      },
    ];
    add(outcomes, proxy, checks, [...firstResponses, ...expiredResponses], backend, firstResponses.length + laterResponses.length + aliveResponses.length + expiredResponses.length);
  }
  notes.push(`persistence ${backend.name}: ${count} addresses, ${rounds} rounds (computed: staying by chance ≤ α), then a quarter of the expiry, then the expiry and ${toleranceMs} ms`);
}

/** Backends with a persistence cookie or a stick table, each with the frontend that reaches it. */
export function persistenceTargets(spec: LabSpec): Target[] {
  return spec.backends.flatMap((backend) => {
    const frontend = (backend.cookie || backend.stickTable) && frontendFor(spec, backend);
    return frontend && activeServers(backend).length >= 2 ? [{ frontend, backend }] : [];
  });
}

export function persistenceModel(spec: LabSpec): Model {
  const targets = persistenceTargets(spec);
  return {
    name: 'persistence',
    statisticalChecks: 0,
    changesServers: true,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const notes: string[] = [];
      const outcomes: Outcomes = new Map(ctx.proxies.map((p) => [p, { checks: [], requests: 0, served: {} }]));
      for (const t of targets) if (t.backend.cookie) await runCookie(ctx, t, t.backend.cookie, outcomes, notes);
      for (const t of targets) if (t.backend.stickTable) await runStick(ctx, t, t.backend.stickTable.expireMs, outcomes, notes);
      // Last: it stops an app, which every backend of the lab may share.
      for (const t of targets) if (t.backend.cookie) await runRedispatch(ctx, t, t.backend.cookie, outcomes, notes);
      return { perProxy: outcomes, notes };
    },
  };
}
