/**
 * TLS termination (ep13). The lab's CA (made by `haplab new`, TLS_CA_FILE in the lab
 * directory) is the only authority the probes trust:
 *   tls.FRONTEND.redirect   plain HTTP gets the rule's redirect (302 unless it says a code)
 *                           to https on the same host, path and query, from the proxy itself
 *   tls.FRONTEND.handshake  a client trusting the lab's CA completes the handshake for the
 *                           lab's host name and is answered by a server; one trusting only
 *                           the system's authorities is refused for the certificate
 *   tls.FRONTEND.header     what a `set-header` rule sets reaches the app (read back from a
 *                           route that echoes it)
 *   rr.*                    requests over TLS still rotate as the backend's weights say
 *                           (the round-robin judges, with their evidence for the candidates)
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TLS_CA_FILE, TLS_HOST, type BackendSpec, type FrontendSpec, type LabSpec, type ProxyKind } from '../../lab-schema/types.js';
import { ruleWords } from '../../lab-schema/rule-words.js';
import type { ProbeResponse } from '../../runtime/types.js';
import { skippedCheck, type Check } from '../report/types.js';
import { activeServers } from '../observe.js';
import { judgeRoundRobin, roundRobinRequests } from './roundrobin.js';
import { tallyServed, type Model, type ModelContext, type ModelResult, type Probe, type ProxyOutcome } from './types.js';

/** Requests per plain-HTTP redirect check and per handshake check. */
const REDIRECTS = 8;
const REFUSED_HANDSHAKES = 3;

/** `http-request redirect scheme https [code N] …` in a frontend's rules: the code it answers with. */
export function httpsRedirectCode(frontend: FrontendSpec): number | undefined {
  for (const rule of frontend.rules ?? []) {
    const w = ruleWords(rule);
    if (w?.[0] === 'http-request' && w[1] === 'redirect' && w[2] === 'scheme' && w[3] === 'https') return w[4] === 'code' ? Number(w[5]) : 302;
  }
  return undefined;
}

/** `http-request set-header NAME VALUE` rules of a frontend. */
export function setHeaders(frontend: FrontendSpec): { name: string; value: string }[] {
  return (frontend.rules ?? []).flatMap((rule) => {
    const w = ruleWords(rule);
    return w?.[0] === 'http-request' && w[1] === 'set-header' && w[2] && w[3] !== undefined ? [{ name: w[2], value: w[3] }] : [];
  });
}

/** The frontends this model judges: those that terminate TLS or redirect plain HTTP to it. */
export function tlsTargets(spec: LabSpec): FrontendSpec[] {
  return spec.frontends.filter((f) => f.mode === 'http' && (f.tls || httpsRedirectCode(f) !== undefined));
}

const key = (ctx: ModelContext) => ctx.rng.nextUint32().toString(36);

export function judgeRedirect(name: string, code: number, probes: readonly Probe[], responses: readonly ProbeResponse[]): Check {
  const expected = probes.map((p) => `https://${TLS_HOST}${p.path}`);
  const wrong = responses.findIndex((r, i) => r.status !== code || r.headers?.location !== expected[i] || r.servedBy !== undefined);
  const r = responses[wrong];
  return {
    name,
    expected: `plain HTTP answered ${code} by the proxy, Location: https://${TLS_HOST}/… with the path and query kept`,
    observed: wrong < 0 ? `${responses.length}/${responses.length} redirected` : `${wrong}/${responses.length} redirected`,
    pass: responses.length > 0 && wrong < 0,
    detail: wrong < 0
      ? `e.g. ${probes[0]?.path} → ${code} ${expected[0]}`
      : `request ${wrong + 1} (${probes[wrong]?.path}): ${r?.error ?? `HTTP ${r?.status}`}${r?.headers?.location ? `, Location: ${r.headers.location}` : ', no Location'}${r?.servedBy ? `, answered by ${r.servedBy} (it reached a server)` : ''}; expected ${code} ${expected[wrong]}`,
  };
}

/** Why a refused handshake was refused: the certificate, not the connection. */
const CERTIFICATE_REFUSAL = /certificate|self.signed|UNABLE_TO_VERIFY|SELF_SIGNED|local issuer/i;

export function judgeHandshake(name: string, trusted: readonly ProbeResponse[], untrusted: readonly ProbeResponse[]): Check {
  const answered = trusted.filter((r) => r.status >= 200 && r.status < 400 && r.servedBy).length;
  const refused = untrusted.filter((r) => r.status === 0 && CERTIFICATE_REFUSAL.test(r.error ?? '')).length;
  const pass = trusted.length > 0 && answered === trusted.length && refused === untrusted.length;
  const badTrusted = trusted.find((r) => !(r.status >= 200 && r.status < 400 && r.servedBy));
  const badUntrusted = untrusted.find((r) => !(r.status === 0 && CERTIFICATE_REFUSAL.test(r.error ?? '')));
  return {
    name,
    expected: `a client trusting the lab's CA is answered over TLS for ${TLS_HOST}; one trusting only the system's authorities is refused for the certificate`,
    observed: `${answered}/${trusted.length} answered with the lab's CA; ${refused}/${untrusted.length} refused without it`,
    pass,
    detail: pass
      ? `refused without the lab's CA: ${untrusted[0]?.error ?? ''}`
      : badTrusted
        ? `with the lab's CA: ${badTrusted.error ?? `HTTP ${badTrusted.status}${badTrusted.servedBy ? '' : ' from no server'}`}`
        : `without the lab's CA: ${badUntrusted?.error ?? `HTTP ${badUntrusted?.status}: the proxy served something a client that trusts nothing but the system accepted (is TLS on?)`}`,
  };
}

export function judgeHeader(name: string, header: { name: string; value: string }, responses: readonly ProbeResponse[]): Check {
  const want = `${header.name}: ${header.value}`;
  const good = responses.filter((r) => r.status === 200 && r.body.trim() === want).length;
  const bad = responses.find((r) => !(r.status === 200 && r.body.trim() === want));
  return {
    name,
    expected: `the app sees ${want} on every request that came over TLS`,
    observed: `${good}/${responses.length}`,
    pass: responses.length > 0 && good === responses.length,
    detail: bad ? `the app answered ${bad.error ?? `HTTP ${bad.status}: ${bad.body.trim().slice(0, 80)}`}` : `each app echoed ${want}`,
  };
}

/** A route of the backend's apps that echoes `header` (AppSpec routes with echoHeader). */
function echoRoute(spec: LabSpec, backend: BackendSpec, header: string): string | undefined {
  const apps = new Set(backend.servers.map((s) => s.app));
  for (const app of spec.apps.filter((a) => apps.has(a.name))) {
    const route = app.routes.find((r) => r.echoHeader?.toLowerCase() === header.toLowerCase());
    if (route) return route.path;
  }
  return undefined;
}

export function tlsModel(spec: LabSpec, frontends: FrontendSpec[]): Model {
  return {
    name: 'tls',
    statisticalChecks: 0,
    async run(ctx: ModelContext): Promise<ModelResult> {
      const perProxy: ModelResult['perProxy'] = new Map(ctx.proxies.map((p) => [p, { checks: [], requests: 0, served: {} } as ProxyOutcome]));
      const push = (proxy: ProxyKind, checks: Check[], rotation?: ProxyOutcome) => {
        const o = perProxy.get(proxy);
        if (!o) return;
        o.checks.push(...checks);
        if (!rotation) return;
        // The rotation's counts are the report's bar chart, its evidence the candidates'.
        Object.assign(o, { counts: rotation.counts, expectedCounts: rotation.expectedCounts, evidence: rotation.evidence, requests: o.requests + rotation.requests });
        for (const [k, v] of Object.entries(rotation.served)) o.served[k] = (o.served[k] ?? 0) + v;
      };
      const all = (checks: Check[]) => ctx.proxies.forEach((p) => push(p, checks));
      const ca = await readFile(join(ctx.instance.dir, TLS_CA_FILE), 'utf8').catch(() => undefined);
      const headers = { Host: TLS_HOST };

      for (const frontend of frontends) {
        const prefix = `tls.${frontend.name}`;
        const code = httpsRedirectCode(frontend);
        if (code !== undefined && !frontend.tls) {
          const probes: Probe[] = Array.from({ length: REDIRECTS }, () => {
            const k = key(ctx);
            return { method: 'GET', path: `/r/${k}?q=${k}`, headers, connection: 'fresh' as const };
          });
          ctx.onStep?.(`tls: ${probes.length} plain requests to ${frontend.name}`);
          const sent = await ctx.send({ label: `redirect ${frontend.name}`, frontend: frontend.name, probes, options: { captureHeaders: ['location'] } });
          for (const [proxy, rs] of sent) {
            push(proxy, [judgeRedirect(`${prefix}.redirect`, code, probes, rs)]);
            // None should reach a server; any that did is counted, so the stats cross-check stays about the proxy's counters.
            const o = perProxy.get(proxy);
            const backend = ctx.spec.backends.find((b) => b.name === frontend.defaultBackend);
            if (o && backend) tallyServed(backend, rs, o.served);
          }
        }
        if (!frontend.tls) continue;
        if (!ca) {
          all([skippedCheck(`${prefix}.handshake`, 'TLS with the lab\'s certificate', `no ${TLS_CA_FILE} in the lab directory: scaffold the lab again with \`haplab new --spec lab.yaml --force\``)]);
          continue;
        }
        const backend = ctx.spec.backends.find((b) => b.name === frontend.defaultBackend)!;
        // Over TLS, one at a time: the rotation (and the handshake check's trusted half).
        // Enough that a random balancer follows the order by chance below α even over the candidates'
        // 3 cycles of phases and their three tests (candidates/rule-out.ts): no weight change here
        // adds evidence, so the rotation alone must rule random(N) out.
        const count = activeServers(backend).length >= 2 ? roundRobinRequests(backend, ctx.stats.alpha / 9, ctx.minRequests) : REDIRECTS;
        const rotation: Probe[] = Array.from({ length: count }, () => ({ method: 'GET', path: `/?id=${key(ctx)}`, headers, connection: 'fresh' as const, tls: { ca } }));
        const untrusted: Probe[] = Array.from({ length: REFUSED_HANDSHAKES }, () => ({ method: 'GET', path: '/', headers, connection: 'fresh' as const, tls: {} }));
        ctx.onStep?.(`tls: ${count} requests over TLS to ${frontend.name}, ${untrusted.length} without the lab's CA`);
        const trustedSent = await ctx.send({ label: `tls ${frontend.name}`, frontend: frontend.name, probes: rotation, options: { concurrency: 1 } });
        const untrustedSent = await ctx.send({ label: `tls untrusted ${frontend.name}`, frontend: frontend.name, probes: untrusted, options: {} });
        for (const [proxy, rs] of trustedSent) {
          const checks = [judgeHandshake(`${prefix}.handshake`, rs, untrustedSent.get(proxy) ?? [])];
          if (activeServers(backend).length >= 2 && (backend.balance === 'roundrobin' || backend.balance === 'static-rr')) {
            const rr = judgeRoundRobin('rr', backend, rs, ctx.oracles.balance, rotation);
            push(proxy, [...checks, ...rr.checks], rr);
          } else push(proxy, checks);
        }
        for (const header of setHeaders(frontend)) {
          const path = echoRoute(ctx.spec, backend, header.name);
          const name = `${prefix}.header`;
          if (!path) {
            all([skippedCheck(name, `the app sees ${header.name}: ${header.value}`, `no app of backend ${backend.name} has a route echoing ${header.name}`)]);
            continue;
          }
          const probes: Probe[] = Array.from({ length: activeServers(backend).length * 2 || 2 }, () => ({ method: 'GET', path, headers, connection: 'fresh' as const, tls: { ca } }));
          const sent = await ctx.send({ label: `tls header ${frontend.name}`, frontend: frontend.name, probes, options: { concurrency: 1 } });
          for (const [proxy, rs] of sent) {
            push(proxy, [judgeHeader(name, header, rs)]);
            // These reached the servers too: the stats cross-check counts them.
            const o = perProxy.get(proxy);
            if (o) {
              tallyServed(backend, rs, o.served);
              o.requests += rs.length;
            }
          }
        }
      }
      return { perProxy, notes: [] };
    },
  };
}
