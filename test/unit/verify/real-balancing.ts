/**
 * A fake proxy for the verifier's unit tests that balances with haplab's real balancers
 * (src/proxy/balance), proven pick for pick identical to HAProxy 2.6, under the fake lab's
 * virtual load; its runtime API changes weights as HAProxy's does. `judge` verifies a lab
 * run by it as `haplab check` would.
 */
import { createBalancer, isStaticBalance } from '../../../src/proxy/balance/index.js';
import type { LbServer } from '../../../src/proxy/balance/types.js';
import { primaryBackend, type BackendSpec, type LabSpec, type ProxyKind } from '../../../src/lab-schema/types.js';
import { balanceSettings, balancerOracle } from '../../../src/verify/balance-oracle.js';
import { createRng } from '../../../src/verify/rng.js';
import { verifyLab } from '../../../src/verify/run.js';
import type { Report } from '../../../src/verify/report/types.js';
import { fakeLab, type Behaviour } from './fakes.js';

/** Draws for every random balancer of the fake proxy, told when each request is balanced. */
export interface Draws { random(): number; request(): void }

/** How the fake proxy differs from the plain one, where a real proxy's timing may. */
export interface FakeProxyOptions {
  draw?: Draws;
  /**
   * A runtime API command is applied before the requests still counted are released, as
   * HAProxy may do: it frees a stream after the response has left, and the verifier sends
   * its command the moment the answer arrives.
   */
  commandsBeforeRelease?: boolean;
  /** The fake proxy's answer instead, when this returns one: a request lost on a loaded machine. */
  lose?: (batch: number, index: number) => boolean;
}

/**
 * The fake proxy: its requests balanced by the real balancers, and its runtime API's weight
 * command applied to them as HAProxy does (refused by an algorithm that computes its picks once).
 */
function realBalancing(lab: LabSpec, running: BackendSpec, seed: string, options: FakeProxyOptions): { behaviour: Behaviour; runtimeApi(proxy: ProxyKind, command: string): string | undefined } {
  const { draw } = options;
  const rng = createRng(seed);
  const oracle = balancerOracle(createBalancer);
  const primary = primaryBackend(lab);
  const perBackend = new Map<string, { pick: ReturnType<NonNullable<typeof oracle.balancer>>; live: { s: LbServer; done: number }[] }>();
  const delayOf = (app: string, path: string) => {
    const a = lab.apps.find((x) => x.name === app)!;
    const route = a.routes.find((r) => r.path === path.split('?')[0]);
    return 1000 * ((a.delaySeconds ?? 0) + (route?.delaySeconds ?? 0)) + 1;
  };
  const balancerOf = (backend: BackendSpec) => {
    let b = perBackend.get(backend.name);
    if (!b) perBackend.set(backend.name, (b = { pick: oracle.balancer!(backend, draw ? () => draw.random() : () => rng.float()), live: [] }));
    return b;
  };
  const runtimeApi = (_proxy: ProxyKind, command: string): string | undefined => {
    const m = /^set server ([^/]+)\/(\S+) weight (\d+)$/.exec(command);
    const backend = m && (m[1] === primary.name ? running : lab.backends.find((x) => x.name === m[1]));
    const server = backend ? balancerOf(backend).pick.servers.find((x) => x.name === m![2]) : undefined;
    if (!backend || !server) return 'No such server.\n\n';
    // A command comes after the verifier awaited every answer: nothing is in flight any more.
    const b = balancerOf(backend);
    const release = () => {
      for (const { s: done } of b.live.splice(0)) {
        done.activeConns--;
        b.pick.balancer.released?.(done);
      }
    };
    if (!options.commandsBeforeRelease) release();
    const to = Number(m![3]);
    if (to && to !== backend.servers.find((x) => x.name === server.name)!.weight && isStaticBalance(balanceSettings(backend))) return 'Backend is using a static LB algorithm and only accepts weights \'0%\' and \'100%\'.\n\n';
    server.weight = to;
    b.pick.balancer.update(server);
    release();
    return '\n';
  };
  let batch = 0;
  let index = 0;
  const behaviour: Behaviour = (req, state) => {
    if (state.batch !== batch) [batch, index] = [state.batch, 0];
    if (options.lose?.(batch, index++)) return { error: 'connection reset by peer' };
    const frontend = lab.frontends.find((f) => f.name === req.frontend)!;
    const backend = frontend.defaultBackend === primary.name ? running : lab.backends.find((b) => b.name === frontend.defaultBackend)!;
    const b = balancerOf(backend);
    // Release what finished before this request, in the order it finished.
    b.live.sort((x, y) => x.done - y.done);
    while (b.live.length && b.live[0]!.done <= state.now) {
      const { s } = b.live.shift()!;
      s.activeConns--;
      b.pick.balancer.released?.(s);
    }
    const headers = req.headers ?? {};
    draw?.request();
    const s = b.pick.balancer.pick({
      sourceAddress: req.sourceAddress ?? '127.0.0.1', uri: req.path,
      header: (n) => Object.entries(headers).find(([h]) => h.toLowerCase() === n.toLowerCase())?.[1],
    });
    if (!s) return { status: 503 };
    s.activeConns++;
    b.pick.balancer.taken?.(s);
    const app = backend.servers.find((x) => x.name === s.name)!.app;
    const delayMs = delayOf(app, req.path);
    b.live.push({ s, done: state.now + delayMs });
    return { app, delayMs };
  };
  return { behaviour, runtimeApi };
}

export async function judge(lab: LabSpec, running: BackendSpec, seed = '11', options: FakeProxyOptions | Draws = {}): Promise<Report> {
  const proxy = realBalancing(lab, running, `lab-${seed}`, 'random' in options ? { draw: options } : options);
  const fake = fakeLab(lab, { haproxy: proxy.behaviour }, { runtimeApi: proxy.runtimeApi });
  const oracle = balancerOracle(createBalancer);
  // As haplab check runs it: the lab goes down after, so a weight may be changed.
  return verifyLab(fake.instance, fake.prober, { seed, oracles: { balance: oracle }, changeWeights: true });
}

