/**
 * The pick leastconn (lb_fwlc.c) and first (lb_fas.c) share: the lowest key of the active
 * tree — or, with no active server up, the first backup, else the backup tree — skipping
 * the server to avoid when another one is there.
 */
import type { EbHeap } from './ebheap.js';
import type { Pool } from './pool.js';
import type { LbServer } from './types.js';

const NONE = -1;

export function pickLowestKey(p: Pool, act: EbHeap, bck: EbHeap, avoid: LbServer | undefined): LbServer | undefined {
  let tree: EbHeap;
  if (p.srvAct) tree = act;
  else if (p.fbck >= 0) return p.servers[p.fbck];
  else if (p.srvBck) tree = bck;
  else return undefined;
  let s = tree.first();
  if (s !== NONE && s === p.indexOf(avoid)) {
    const second = tree.second();
    if (second !== NONE) s = second;
  }
  return s === NONE ? undefined : p.servers[s];
}
