/**
 * verifyLab: drives traffic through a running lab and judges it with the models its spec
 * calls for (select.ts), on every proxy that runs — both, when both run, on the same
 * generated traffic, one proxy after the other so they never share the apps' load.
 *
 * The statistical promise is made for the whole run, not per check: α (default 0.01) is
 * split evenly (Bonferroni) over every statistical check of every proxy, so a correct lab
 * fails `verify` by chance at most α of the time, whatever number of checks it has. Sample
 * sizes are computed at the per-check α.
 */
import { BadInputError } from '../errors.js';
import type { ProxyChoice, ProxyKind } from '../lab-schema/types.js';
import type { LabInstance, ProbeResponse, Prober } from '../runtime/types.js';
import { fetchStatsReading, judgeLbTotals, lbTotalsSkipped, statsReading, type FetchText, type StatsReading } from './lbstats.js';
import { serversThatWentDown, withoutFreshOrderChecks } from './fresh-state.js';
import type { Batch, FaultInjector, ModelContext, PerProxy, ProxyOutcome } from './models/types.js';
import type { BalanceOracle, RouteOracle } from './oracles.js';
import { skippedCheck, verdictOf, type Check, type Report } from './report/types.js';
import { judgeCandidates, type CandidateReport } from './candidates/judge.js';
import type { Rng } from './rng.js';
import type { LabSpec } from '../lab-schema/types.js';
import { createRng, randomSeed } from './rng.js';
import { algorithmName, selectModels } from './model-selection.js';
import { DEFAULT_ALPHA, DEFAULT_POWER, DEFAULT_SKEW } from './statistics.js';
import { primaryBackend } from '../lab-schema/types.js';
import { chaosFaultsFrom, failoverModel, type ChaosFaults, type ChaosMode } from './models/failover.js';
import { configDriftNotes, readConfigDrift } from './running-config.js';

export interface VerifyOptions {
  /** --requests: raises every computed request count to at least this. */
  requests?: number;
  /** --seed: every random choice derives from it; a fresh one (printed in the report) when absent. */
  seed?: string | number;
  /** Which proxies to verify; default every proxy the lab runs. */
  proxy?: ProxyChoice;
  /** Run-wide false-alarm rate, power, and skew to catch (defaults 0.01, 0.95, 0.2). */
  alpha?: number;
  power?: number;
  skew?: number;
  /** What must happen (see oracles.ts); checks that need a missing one are skipped. */
  oracles?: { balance?: BalanceOracle; route?: RouteOracle };
  /** Stops/starts an app for the hash failover checks (Runtime.disrupt/resume). */
  faults?: FaultInjector;
  /** --chaos: stop and/or pause one app of the primary backend mid-stream and judge the failover (models/failover.ts). */
  chaos?: ChaosMode;
  /** Stops or pauses an app for --chaos; default: `faults`, which can only stop. */
  chaosFaults?: ChaosFaults;
  /** Models may change a weight through the runtime API (ModelContext.changeWeights). */
  changeWeights?: boolean;
  /** For tests: how the stats CSV is fetched (got by default). */
  fetchText?: FetchText;
  onStep?(text: string): void;
}

function proxiesToVerify(instance: LabInstance, choice: ProxyChoice | undefined): ProxyKind[] {
  const running = [...new Set(instance.endpoints.map((e) => e.proxy))].sort((a, b) => (a === 'haproxy' ? -1 : b === 'haproxy' ? 1 : 0));
  if (choice === undefined || choice === 'both') {
    if (choice === 'both' && running.length < 2) throw new BadInputError(`--proxy both, but the lab runs only ${running.join(', ') || 'no proxy'}`, { flag: '--proxy' }, 'start the lab with --proxy both');
    return running;
  }
  if (!running.includes(choice)) throw new BadInputError(`--proxy ${choice}, but the lab runs ${running.join(', ') || 'no proxy'}`, { flag: '--proxy' });
  return [choice];
}

function makeSend(instance: LabInstance, prober: Prober, proxies: ProxyKind[]) {
  return async (batch: Batch): Promise<PerProxy<ProbeResponse[]>> => {
    const sendTo = async (proxy: ProxyKind): Promise<ProbeResponse[]> => {
      if (!instance.endpoints.some((e) => e.proxy === proxy && e.frontend === batch.frontend)) {
        return batch.probes.map(() => ({ status: 0, body: '', error: `no ${proxy} endpoint for frontend ${batch.frontend}`, sentAtMs: 0, doneAtMs: 0 }));
      }
      return prober.send(batch.probes.map((p) => ({ ...p, proxy, frontend: batch.frontend })), batch.options);
    };
    const out: PerProxy<ProbeResponse[]> = new Map();
    const targets = batch.only ? proxies.filter((p) => p === batch.only) : proxies;
    if (batch.proxiesAtOnce) {
      const all = await Promise.all(targets.map(sendTo));
      targets.forEach((proxy, i) => out.set(proxy, all[i]!));
    } else {
      for (const proxy of targets) out.set(proxy, await sendTo(proxy));
    }
    return out;
  };
}

async function readStats(instance: LabInstance, prober: Prober, proxy: ProxyKind, fetchText?: FetchText): Promise<StatsReading | string> {
  const url = instance.stats.find((s) => s.proxy === proxy)?.url;
  try {
    if (url) return await fetchStatsReading(url, fetchText);
    // A stats page this host cannot reach (the swarm's answer on the lab's network only):
    // the same CSV through the proxy's runtime API, `show stat`.
    const csv = await prober.runtimeApi?.(proxy, 'show stat');
    if (csv === undefined) return 'no stats page published for this proxy, and no runtime API to read it through';
    return statsReading(csv);
  } catch (err) {
    return `stats CSV unreadable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The candidates check of the primary backend, when a balancing model left evidence. */
function judgeBalance(spec: LabSpec, outcomes: readonly ProxyOutcome[], ctx: ModelContext, rng: Rng): { check: Check; report: CandidateReport } | undefined {
  const evidence = outcomes.find((o) => o.evidence)?.evidence;
  if (!evidence) return undefined;
  const backend = primaryBackend(spec);
  const mode = spec.frontends.find((f) => f.defaultBackend === backend.name)?.mode ?? 'http';
  const oracle = ctx.oracles.balance;
  const make = oracle?.balancer?.bind(oracle);
  if (!oracle || !make) {
    return { check: skippedCheck('balance.candidates', 'the configured algorithm fits and the others are ruled out', 'no balancer factory in the balance oracle (src/proxy/balance): candidates cannot be replayed'), report: { backend: backend.name, configured: algorithmName(backend), outcomes: [] } };
  }
  return judgeCandidates('balance', backend, mode, evidence, { oracle, make, rng, alpha: ctx.stats.alpha });
}

export async function verifyLab(instance: LabInstance, prober: Prober, options: VerifyOptions = {}): Promise<Report> {
  const spec = instance.spec;
  const proxies = proxiesToVerify(instance, options.proxy);
  const seed = options.seed === undefined ? randomSeed() : String(options.seed);
  const rng = createRng(seed);
  const { models, notes } = selectModels(spec);
  if (options.chaos) models.push(failoverModel(spec, { mode: options.chaos, faults: options.chaosFaults ?? chaosFaultsFrom(options.faults), fetchText: options.fetchText }));
  const statistical = models.reduce((s, m) => s + m.statisticalChecks, 0) * proxies.length;
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  const stats = { alpha: alpha / Math.max(1, statistical), power: options.power ?? DEFAULT_POWER, skew: options.skew ?? DEFAULT_SKEW };
  if (statistical > 1) notes.push(`α ${alpha} split over ${statistical} statistical checks: ${stats.alpha.toPrecision(3)} each, so the run's false-alarm rate stays ≤ ${alpha}`);
  notes.push(...instance.notes);
  // Edited haproxy.cfg: the proxies run the file, the checks judge lab.yaml; say where they part.
  const { drift, configs } = await readConfigDrift(instance, proxies);
  notes.push(...configDriftNotes(instance, drift));

  const before = new Map<ProxyKind, StatsReading | string>();
  for (const p of proxies) before.set(p, await readStats(instance, prober, p, options.fetchText));

  const ctx: ModelContext = {
    spec, instance, prober, proxies, rng, minRequests: options.requests, stats,
    oracles: options.oracles ?? {}, faults: options.faults, send: makeSend(instance, prober, proxies), onStep: options.onStep,
    changeWeights: options.changeWeights,
  };
  const outcomes = new Map<ProxyKind, ProxyOutcome[]>(proxies.map((p) => [p, []]));
  const crossChecks: Check[] = [];
  const late: (() => Promise<void>)[] = [];
  for (const model of models) {
    const modelCtx = { ...ctx, rng: rng.fork(model.name) };
    const result = await model.run(modelCtx);
    notes.push(...result.notes);
    crossChecks.push(...(result.crossChecks ?? []));
    for (const [proxy, outcome] of result.perProxy) outcomes.get(proxy)?.push(outcome);
    if (model.late) late.push(() => model.late!({ ...modelCtx, serversChanged: models.some((m) => m.changesServers) }, result));
  }
  // Phases that change the lab's state for good run after every model, so none of them sees the change.
  for (const phase of late) await phase();

  const reports: Report[] = [];
  for (const proxy of proxies) {
    const list = outcomes.get(proxy) ?? [];
    const b = before.get(proxy)!;
    const wentDown = typeof b === 'string' ? [] : serversThatWentDown(b.csv, primaryBackend(spec).name);
    const checks: Check[] = withoutFreshOrderChecks(list.flatMap((o) => o.checks), wentDown);
    if (typeof b === 'string') checks.push(lbTotalsSkipped(b));
    else if (list.some((o) => o.disrupted)) checks.push(lbTotalsSkipped('a server was stopped during the run: lbtot also counts the retries of failover'));
    else {
      const after = await readStats(instance, prober, proxy, options.fetchText);
      const clients: Record<string, number> = {};
      for (const o of list) for (const [k, v] of Object.entries(o.served)) clients[k] = (clients[k] ?? 0) + v;
      checks.push(typeof after === 'string' ? lbTotalsSkipped(after) : judgeLbTotals(b.totals, after.totals, clients));
    }
    const main = list.find((o) => o.counts);
    const candidates = judgeBalance(spec, list, ctx, rng.fork(`candidates:${proxy}`));
    const candidatesCheck = candidates ? withoutFreshOrderChecks([candidates.check], wentDown)[0]! : undefined;
    if (candidatesCheck) checks.push(candidatesCheck);
    reports.push({
      lab: instance.lab, episode: spec.id, proxy, runtime: instance.runtime, algorithm: algorithmName(primaryBackend(spec)),
      verdict: verdictOf(checks), requests: list.reduce((s, o) => s + o.requests, 0),
      counts: main?.counts ?? {}, expectedCounts: main?.expectedCounts, checks, notes: [], seed, configDrift: drift.get(proxy), config: configs.get(proxy),
      // A replay skipped for a server that came back shows no list of candidates: it was
      // judged against a fresh start. (Skipped for another reason, its list says so, as before.)
      ...(candidates && candidatesCheck === candidates.check ? { candidates: [candidates.report] } : {}),
    });
  }
  if (models.length === 0) notes.push('nothing in this lab could be checked');
  if (reports.length === 1) return { ...reports[0]!, notes };
  const counts: Record<string, number> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.counts)) counts[k] = (counts[k] ?? 0) + v;
  return {
    lab: instance.lab, episode: spec.id, proxy: 'both', runtime: instance.runtime, algorithm: algorithmName(primaryBackend(spec)),
    verdict: verdictOf(crossChecks, reports), requests: reports.reduce((s, r) => s + r.requests, 0), counts, checks: crossChecks, notes, seed, reports,
  };
}
