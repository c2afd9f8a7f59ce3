/**
 * Which models judge a lab, chosen from its spec: the primary backend's algorithm (through
 * the HTTP frontend that sends to it by default), every ACL frontend, every TCP frontend.
 */
import { primaryBackend, type BackendSpec, type LabSpec } from '../lab-schema/types.js';
import { activeServers } from './observe.js';
import { aclModel } from './models/acl.js';
import { aclBypassWarnings } from './acl-bypass.js';
import { hashModel } from './models/hash.js';
import { leastconnModel } from './models/leastconn.js';
import { persistenceModel, persistenceTargets } from './models/persistence.js';
import { healthModel, healthTargets } from './models/health.js';
import { randomModel } from './models/random.js';
import { roundRobinModel } from './models/roundrobin.js';
import { tcpModel } from './models/tcp.js';
import { tlsModel, tlsTargets } from './models/tls.js';
import { isRateLimited } from './models/rate-limit-plan.js';
import { rateLimitModel } from './models/rate-limit.js';
import type { Model } from './models/types.js';

export { algorithmName } from './algorithm-name.js';

export function balancingModel(frontend: string, backend: BackendSpec): Model {
  switch (backend.balance) {
    case 'roundrobin': case 'static-rr': case 'first': return roundRobinModel(frontend, backend);
    case 'leastconn': return leastconnModel(frontend, backend);
    case 'random': return randomModel(frontend, backend);
    case 'source': case 'uri': case 'hdr': case 'url_param': return hashModel(frontend, backend);
  }
}

export interface Selection {
  models: Model[];
  notes: string[];
}

export function selectModels(spec: LabSpec): Selection {
  const models: Model[] = [];
  const notes: string[] = [];
  const backend = primaryBackend(spec);
  const http = spec.frontends.filter((f) => f.mode === 'http');
  // A frontend that tracks clients is judged over time by the rate-limit model, not probe by probe.
  const rateLimited = http.filter(isRateLimited);
  // TLS termination and the redirect to it are judged by the TLS model, over TLS.
  const tls = tlsTargets(spec);
  const aclFrontends = http.filter((f) => !isRateLimited(f) && !tls.includes(f) && ((f.acls?.length ?? 0) > 0 || (f.rules?.length ?? 0) > 0));
  const plain = http.find((f) => f.defaultBackend === backend.name && !f.tls && !(f.rules?.length));
  // Balancing first: its counts are the report's bar chart.
  if (activeServers(backend).length >= 2 && plain) {
    models.push(backend.balance === 'random' ? randomModel(plain.name, backend, plainRandomTwin(spec, backend)) : balancingModel(plain.name, backend));
  }
  else if (activeServers(backend).length < 2) notes.push(`backend ${backend.name} has ${activeServers(backend).length} active server(s): no balancing to check`);
  for (const f of spec.frontends.filter((x) => x.mode === 'tcp')) {
    const b = spec.backends.find((x) => x.name === f.defaultBackend);
    if (b) models.push(tcpModel(f.name, b));
  }
  if (aclFrontends.length) models.push(aclModel(aclFrontends));
  if (persistenceTargets(spec).length) models.push(persistenceModel(spec));
  if (healthTargets(spec).length) models.push(healthModel(spec));
  if (rateLimited.length) models.push(rateLimitModel(rateLimited));
  if (tls.length) models.push(tlsModel(spec, tls));
  // Where a rule written this way could be bypassed at the backend, the learner is told.
  for (const f of aclFrontends) notes.push(...aclBypassWarnings(f).map((w) => `warning: ${w}`));
  return { models, notes };
}

/**
 * ep08's comparison: a frontend sending by default to plain random (one draw) over the same
 * servers as `backend`, so power-of-two-choices can be judged against it.
 */
export function plainRandomTwin(spec: LabSpec, backend: BackendSpec): { frontend: string; backend: BackendSpec } | undefined {
  if (backend.balance !== 'random' || Number(backend.balanceArg ?? 2) < 2) return undefined;
  const apps = (b: BackendSpec) => b.servers.map((s) => `${s.app}:${s.weight}`).join(',');
  const twin = spec.backends.find((b) => b !== backend && b.balance === 'random' && Number(b.balanceArg ?? 2) === 1 && apps(b) === apps(backend));
  const frontend = twin && spec.frontends.find((f) => f.mode === 'http' && f.defaultBackend === twin.name && !(f.rules?.length));
  return twin && frontend ? { frontend: frontend.name, backend: twin } : undefined;
}
