/** Fills the defaults a validated spec may leave out, so every layer below sees a whole LabSpec. */
import type { LabSpec } from './types.js';

export function normalizeSpec(spec: LabSpec): LabSpec {
  return {
    ...spec,
    proxy: spec.proxy ?? 'haproxy',
    timeouts: spec.timeouts ?? { connect: 5000, client: 50000, server: 50000 },
    backends: spec.backends.map((b) => ({
      ...b,
      servers: b.servers.map((s) => ({ ...s, weight: s.weight ?? 1, check: s.check ?? false })),
    })),
    frontends: spec.frontends.map((f) => ({ ...f, acls: f.acls ?? [], rules: f.rules ?? [] })),
  };
}
