/**
 * Which base images `up` builds from (src/runtime/images/plan.ts), from injected facts: the
 * official ones when present or pullable, else the offline ones present or built here, else
 * one line saying why neither — and the probes asked only when the images are not there.
 */
import { describe, expect, it } from 'vitest';
import { decideImages, type ImageFacts } from '../../../src/runtime/images/plan.js';
import type { Problem } from '../../../src/runtime/images/facts.js';

const noRegistry: Problem = { reason: 'cannot pull python:3.12-slim (no such host)', fix: 'give the engine a registry' };
const noDebootstrap: Problem = { reason: 'debootstrap is not installed', fix: 'install it' };

function facts(present: { official?: boolean; offline?: boolean }, registry?: Problem, offline?: Problem): ImageFacts & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    present: { official: present.official ?? false, offline: present.offline ?? false },
    registry: async () => { asked.push('registry'); return registry; },
    offlineBuild: async () => { asked.push('offline'); return offline; },
  };
}

describe('decideImages', () => {
  it('official images present: used, nothing probed', async () => {
    const f = facts({ official: true, offline: true }, noRegistry, noDebootstrap);
    expect(await decideImages(f)).toMatchObject({ flavor: 'official', action: 'present' });
    expect(f.asked).toEqual([]);
  });

  it('only the offline images present: used, nothing probed', async () => {
    const f = facts({ offline: true }, noRegistry);
    expect(await decideImages(f)).toMatchObject({ flavor: 'offline', action: 'present' });
    expect(f.asked).toEqual([]);
  });

  it('none present, a registry answers: official, pulled', async () => {
    const f = facts({}, undefined, noDebootstrap);
    expect(await decideImages(f)).toMatchObject({ flavor: 'official', action: 'pull' });
    expect(f.asked).toEqual(['registry']);
  });

  it('none present, no registry, offline buildable: offline, built, saying why', async () => {
    const decision = await decideImages(facts({}, noRegistry));
    expect(decision).toMatchObject({ flavor: 'offline', action: 'build' });
    expect(decision.flavor && decision.why).toBe("cannot pull python:3.12-slim (no such host): haplab's offline base images are built first, once (about 90 s)");
  });

  it('neither: one line with both reasons and both fixes', async () => {
    const decision = await decideImages(facts({}, noRegistry, noDebootstrap));
    expect(decision.flavor).toBeUndefined();
    expect(decision).toEqual({
      cannot: "has no haplab base images, cannot pull python:3.12-slim (no such host), and cannot build haplab's offline images here: debootstrap is not installed",
      fix: 'give the engine a registry; or install it',
    });
  });

  it('a pin narrows the choice: pinned offline ignores present official images and builds', async () => {
    const f = facts({ official: true }, undefined);
    expect(await decideImages(f, 'offline')).toMatchObject({ flavor: 'offline', action: 'build' });
    expect(f.asked).toEqual(['offline']);
  });

  it('a pin narrows the choice: pinned official with no registry cannot, though offline images are present', async () => {
    const decision = await decideImages(facts({ offline: true }, noRegistry), 'official');
    expect(decision).toMatchObject({ cannot: 'has no official base images (lab.yaml pins images: official), cannot pull python:3.12-slim (no such host)' });
  });
});
