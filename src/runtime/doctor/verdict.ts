/**
 * What the doctor's facts mean: one line per thing a lab needs, each with its status and
 * the next step, and per runtime whether a lab can run on it. A lab can run when either
 * runtime can (the local one substitutes haplab's TypeScript proxy and Node replicas for a
 * missing HAProxy or Flask, and says so). Pure: tested with injected facts.
 */
import { decideImages } from '../images/plan.js';
import type { DoctorFacts } from './facts.js';
import { satisfiesNodeRange } from './node-range.js';

export type Status = 'ok' | 'warn' | 'missing';

export interface DoctorLine {
  what: string;
  status: Status;
  found: string;
  /** The next step, when there is one. */
  next?: string;
}

export interface Diagnosis {
  lines: DoctorLine[];
  runtimes: { docker: { ready: boolean; why: string }; local: { ready: boolean; why: string } };
  /** A lab can run here (on either runtime): exit 0, else 3. */
  canRunLabs: boolean;
  next: string;
}

export async function diagnose(facts: DoctorFacts): Promise<Diagnosis> {
  const lines: DoctorLine[] = [];
  const nodeOk = satisfiesNodeRange(facts.node.version, facts.node.range);
  lines.push({ what: 'node', status: nodeOk ? 'ok' : 'missing', found: `${facts.node.version} (haplab supports ${facts.node.range})`, next: nodeOk ? undefined : `install a Node that satisfies ${facts.node.range} (e.g. the current LTS)` });

  let docker: Diagnosis['runtimes']['docker'];
  if ('problem' in facts.engine) {
    lines.push({ what: 'docker engine', status: 'missing', found: facts.engine.problem, next: facts.engine.fix });
    docker = { ready: false, why: 'no Docker engine answers' };
  } else {
    const e = facts.engine;
    lines.push({ what: 'docker engine', status: 'ok', found: `${e.version ? `Docker ${e.version} ` : ''}at ${e.where} (found via ${e.how})` });
    docker = await dockerLines(facts, lines);
  }
  lines.push(offlineBuildLine(facts));
  lines.push(haproxyLine(facts));
  lines.push(flaskLine(facts));

  const localProblem = !nodeOk ? `Node ${facts.node.version} is outside ${facts.node.range}` : facts.compiled.problem;
  const substitutes = [
    'problem' in facts.haproxy ? "haplab's TypeScript proxy plays HAProxy's part" : '',
    'problem' in facts.flask ? "haplab's Node replicas play the Flask apps" : '',
  ].filter(Boolean);
  const local = localProblem
    ? { ready: false, why: localProblem }
    : { ready: true, why: substitutes.length ? `ready, with substitutes: ${substitutes.join('; ')}` : 'ready: HAProxy and Flask run as processes on loopback' };
  if (facts.compiled.problem) lines.push({ what: "haplab's build", status: 'missing', found: facts.compiled.problem, next: 'run `npm run build` in the haplab package' });

  const canRunLabs = docker.ready || local.ready;
  const next = docker.ready ? 'run `haplab check ep09` (docker)' : local.ready ? 'run `haplab check ep09` (it runs on the local runtime here)' : 'fix a line above marked missing, then run `haplab doctor` again';
  return { lines, runtimes: { docker, local }, canRunLabs, next };
}

async function dockerLines(facts: DoctorFacts, lines: DoctorLine[]): Promise<Diagnosis['runtimes']['docker']> {
  const images = facts.images!;
  const registry = facts.registry!;
  const reachable = registry === 'reachable';
  const decision = await decideImages({
    present: { official: images.official, offline: images.offline },
    registry: async () => (reachable ? undefined : registry),
    offlineBuild: async () => facts.offlineBuild,
  });
  const anyPresent = images.official || images.offline;
  lines.push({
    what: 'registry',
    status: reachable ? 'ok' : anyPresent || decision.flavor ? 'warn' : 'missing',
    found: reachable ? 'reachable: the engine can pull the official images' : `not reachable: ${registry.reason}`,
    next: reachable || anyPresent ? undefined : decision.flavor ? 'none needed: `haplab up` builds haplab\'s offline images once instead' : registry.fix,
  });
  const presentText = [
    `official (${images.officialNames.join(', ')}) ${images.official ? 'present' : 'absent'}`,
    `offline (${images.offlineNames.join(', ')}) ${images.offline ? 'present' : 'absent'}`,
  ].join('; ');
  const imagesNext = decision.flavor === undefined ? decision.fix
    : decision.action === 'pull' ? '`haplab images` pulls them now (else the first `up` does)'
      : decision.action === 'build' ? '`haplab images --offline` builds them now, about 90 s (else the first `up` does)' : undefined;
  lines.push({ what: 'base images', status: anyPresent ? 'ok' : decision.flavor ? 'warn' : 'missing', found: presentText, next: imagesNext });
  if (decision.flavor === undefined) return { ready: false, why: `the engine ${decision.cannot}` };
  return { ready: true, why: `ready: ${decision.why}` };
}

function offlineBuildLine(facts: DoctorFacts): DoctorLine {
  const p = facts.offlineBuild;
  return p
    ? { what: 'debootstrap', status: 'warn', found: `cannot build haplab's offline images here: ${p.reason}`, next: p.fix }
    : { what: 'debootstrap', status: 'ok', found: "can build haplab's offline images here (root, debootstrap, a Debian mirror that answers)" };
}

function haproxyLine(facts: DoctorFacts): DoctorLine {
  const h = facts.haproxy;
  return 'problem' in h
    ? { what: 'haproxy', status: 'warn', found: h.problem, next: "install it (`sudo apt-get install haproxy`); until then the local runtime runs haplab's TypeScript proxy in its place" }
    : { what: 'haproxy', status: 'ok', found: `${h.version} (${h.path})` };
}

function flaskLine(facts: DoctorFacts): DoctorLine {
  const f = facts.flask;
  if ('problem' in f) return { what: 'flask', status: 'warn', found: f.problem, next: "install python3-flask and python3-waitress; until then the local runtime runs haplab's Node replicas of the apps" };
  if (f.noWaitress) return { what: 'flask', status: 'warn', found: `Flask imports in ${f.python}, waitress does not (${f.noWaitress})`, next: 'install python3-waitress (without it the apps close every connection after one answer)' };
  return { what: 'flask', status: 'ok', found: `Flask and waitress import in ${f.python}` };
}
