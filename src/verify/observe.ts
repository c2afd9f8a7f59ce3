/**
 * From responses to servers: X-Served-By names the app that answered; the spec says which
 * server of which backend points at that app. Shared by every model.
 */
import type { BackendSpec, LabSpec, ServerSpec } from '../lab-schema/types.js';
import type { ProbeResponse } from '../runtime/types.js';
import type { Check } from './report/types.js';

export const NO_ANSWER = '(no answer)';

/** Servers that take traffic while all are up: not disabled, not backup, weight > 0. */
export function activeServers(backend: BackendSpec): ServerSpec[] {
  return backend.servers.filter((s) => !s.disabled && !s.backup && s.weight > 0);
}

/** The server of `backend` whose app answered, or undefined. */
export function serverOf(backend: BackendSpec, response: ProbeResponse): string | undefined {
  if (!response.servedBy) return undefined;
  return backend.servers.find((s) => s.app === response.servedBy)?.name;
}

/** A label for what answered, for counts and mismatch lists: the server, or why there is none. */
export function answerLabel(backend: BackendSpec, response: ProbeResponse): string {
  if (response.status === 0) return NO_ANSWER;
  const server = serverOf(backend, response);
  if (server) return server;
  return response.servedBy ? `(app ${response.servedBy}, not in ${backend.name})` : `(status ${response.status}, no ${'X-Served-By'})`;
}

/** Responses per server, every active server listed (0 when silent), plus whatever else answered. */
export function countByServer(backend: BackendSpec, responses: readonly ProbeResponse[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of activeServers(backend)) counts[s.name] = 0;
  for (const r of responses) {
    const label = answerLabel(backend, r);
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

/** Server names that occur in more than one backend, or apps behind more than one server. */
export function ambiguousNames(spec: LabSpec): boolean {
  const names = new Set<string>();
  const apps = new Set<string>();
  for (const b of spec.backends) for (const s of b.servers) {
    if (names.has(s.name) || apps.has(s.app)) return true;
    names.add(s.name);
    apps.add(s.app);
  }
  return false;
}

/** Every request answered with a 2xx by a server of the backend: the precondition of every other check. */
export function answeredCheck(name: string, backend: BackendSpec, responses: readonly ProbeResponse[]): Check {
  const bad = responses.filter((r) => !(r.status >= 200 && r.status < 300) || serverOf(backend, r) === undefined);
  const examples = bad.slice(0, 3).map((r) => (r.error ? `${answerLabel(backend, r)}: ${r.error}` : answerLabel(backend, r)));
  return {
    name,
    expected: `every request answered 2xx by a server of ${backend.name}`,
    observed: `${responses.length - bad.length}/${responses.length}`,
    pass: bad.length === 0 && responses.length > 0,
    detail: bad.length === 0 ? 'all answered' : `${bad.length} not: ${examples.join('; ')}`,
  };
}

/** The served-by sequence, undefined where no server of the backend answered. */
export function serverSequence(backend: BackendSpec, responses: readonly ProbeResponse[]): (string | undefined)[] {
  return responses.map((r) => serverOf(backend, r));
}

/** Client-side in-flight count per server at each request's send time (from sentAt/doneAt). */
export function inFlightAtSends(labels: readonly (string | undefined)[], responses: readonly ProbeResponse[]): { at: number; load: Map<string, number> }[] {
  const out: { at: number; load: Map<string, number> }[] = [];
  const order = responses.map((r, i) => i).sort((a, b) => responses[a]!.sentAtMs - responses[b]!.sentAtMs);
  for (const i of order) {
    const t = responses[i]!.sentAtMs;
    const load = new Map<string, number>();
    responses.forEach((r, j) => {
      const label = labels[j];
      if (label !== undefined && r.sentAtMs <= t && t < r.doneAtMs) load.set(label, (load.get(label) ?? 0) + 1);
    });
    out.push({ at: t, load });
  }
  return out;
}

export function fmtShare(x: number): string {
  return x.toFixed(3);
}

export function fmtP(p: number): string {
  if (p === 0) return '< 1e-300';
  return p < 1e-4 ? p.toExponential(2) : p.toFixed(4);
}
