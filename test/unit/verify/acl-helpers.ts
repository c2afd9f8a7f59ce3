/** Shared by the ACL unit tests: source addresses as each runtime gives them, and plans. */
import type { FrontendSpec, LabSpec } from '../../../src/lab-schema/types.js';
import type { ProbeResponse } from '../../../src/runtime/types.js';
import { formatIpv4 } from '../../../src/verify/cidr.js';
import { planAclProbes, type AclPlan, type SourceAddresses } from '../../../src/verify/models/acl-coverage.js';
import { aclCandidates, type AclProbe, type SourceClass } from '../../../src/verify/models/acl-probes.js';
import type { RouteDecision, RouteOracle } from '../../../src/verify/oracles.js';
import { createRng } from '../../../src/verify/rng.js';

/** Like the Docker probe: two addresses from the top of each block, any block. */
export function dockerLike(classes: Iterable<SourceClass>): SourceAddresses {
  const out = new Map<SourceClass, string[] | { reason: string }>();
  for (const c of classes) {
    if (c.kind === 'default') out.set(c, []);
    else if (c.kind === 'outside') out.set(c, ['172.30.0.250', '172.30.0.251']);
    else {
      const top = c.block.base + 2 ** (32 - c.block.bits) - 1;
      out.set(c, c.block.bits >= 31 ? [formatIpv4(c.block.base)] : [formatIpv4(top - 1), formatIpv4(top - 2)]);
    }
  }
  return out;
}

/** Like the local runtime: loopback only, every rule range refused with its reason. */
export function localLike(classes: Iterable<SourceClass>): SourceAddresses {
  const out = new Map<SourceClass, string[] | { reason: string }>();
  for (const c of classes) {
    if (c.kind === 'default') out.set(c, []);
    else if (c.kind === 'outside') out.set(c, ['127.0.0.1', '127.0.0.2']);
    else out.set(c, { reason: 'the local runtime speaks only from 127.0.0.0/8' });
  }
  return out;
}

export function plan(spec: LabSpec, frontend: FrontendSpec, oracle: RouteOracle, options: {
  addresses?: (classes: Iterable<SourceClass>) => SourceAddresses;
  /** What is sent before the search; default every candidate. */
  initial?: (candidates: AclProbe[]) => AclProbe[];
} = {}): AclPlan & { candidates: AclProbe[] } {
  const candidates = aclCandidates(spec, frontend, createRng(`plan-${frontend.name}`));
  const addresses = (options.addresses ?? dockerLike)(new Set(candidates.map((c) => c.source)));
  const initial = options.initial ? options.initial(candidates) : candidates;
  return { ...planAclProbes({ spec, frontend, oracle, candidates, initial, addresses }), candidates };
}

/** What a proxy deciding `decision` answers: the 403 of a deny, or the backend's first app. */
export function answer(spec: LabSpec, decision: RouteDecision): ProbeResponse {
  if (decision.kind === 'deny') return { status: decision.status, body: '', sentAtMs: 0, doneAtMs: 1 };
  const app = spec.backends.find((b) => b.name === decision.backend)!.servers[0]!.app;
  return { status: 200, servedBy: app, body: `hello from ${app}`, sentAtMs: 0, doneAtMs: 1 };
}
