/**
 * The bookkeeping every algorithm shares, as backend.c's recount_servers() and
 * update_backend_weight() do for HAProxy: which servers are usable, their effective
 * weights, how many actives and backups there are, and the first usable backup.
 *
 * HAProxy keeps a "current" and a "next" copy of each server's state and weight and
 * lets the algorithm compare them before committing. Here the data path mutates the
 * LbServer and then calls update(): only then is the LbServer read (into "next"),
 * so a pick never sees a half-applied change.
 */
import type { LbServer } from './types.js';

/** HAProxy's BE_WEIGHT_SCALE: effective weight = user weight × 16 for dynamic algorithms. */
export const BE_WEIGHT_SCALE = 16;
export const SRV_UWGHT_RANGE = 256;
export const SRV_EWGHT_RANGE = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;
export const SRV_EWGHT_MAX = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;

/** The pool that last indexed a server, and the server's position in it: indexOf without a Map lookup. */
const OWNER = Symbol('haplab.pool');
const INDEX = Symbol('haplab.poolIndex');
type Indexed = LbServer & { [OWNER]?: Pool; [INDEX]?: number };

export class Pool {
  readonly n: number;
  private readonly index = new Map<LbServer, number>();
  /** Committed ("cur_") usability and effective weight. */
  readonly curUsable: Uint8Array;
  readonly curEweight: Int32Array;
  /** The state update() last read from the LbServer ("next_" in HAProxy). */
  private readonly nextUsable: Uint8Array;
  private readonly nextEw: Int32Array;
  readonly backup: Uint8Array;

  srvAct = 0;
  srvBck = 0;
  totWact = 0;
  totWbck = 0;
  /** First usable backup in declaration order (HAProxy's fbck), or -1. */
  fbck = -1;
  totWeight = 0;
  totUsed = 0;

  /**
   * `wdiv`/`wmult` are HAProxy's lbprm ratios: eweight = ceil(uweight × wdiv / wmult).
   * Dynamic algorithms use 16/1; map-based ones 1/gcd(weights).
   */
  constructor(
    readonly servers: readonly LbServer[],
    readonly wdiv: number,
    readonly wmult: number,
  ) {
    this.n = servers.length;
    this.curUsable = new Uint8Array(this.n);
    this.curEweight = new Int32Array(this.n);
    this.nextUsable = new Uint8Array(this.n);
    this.nextEw = new Int32Array(this.n);
    this.backup = new Uint8Array(this.n);
    servers.forEach((s, i) => {
      this.index.set(s, i);
      (s as Indexed)[OWNER] = this;
      (s as Indexed)[INDEX] = i;
      this.backup[i] = s.backup ? 1 : 0;
      this.refresh(i);
    });
    this.recount();
    for (let i = 0; i < this.n; i++) this.commit(i);
  }

  indexOf(s: LbServer | undefined): number {
    if (s === undefined) return -1;
    // A server in several pools (tests build many balancers over one list) falls back to the map.
    if ((s as Indexed)[OWNER] === this) return (s as Indexed)[INDEX]!;
    return this.index.get(s) ?? -1;
  }

  /**
   * Reads the server's weight and state as the next ones. Effective weight =
   * ceil(user weight × wdiv / wmult); usable = up with a non-zero effective weight
   * (srv_willbe_usable: weight 0 drains a server).
   */
  refresh(i: number): void {
    const s = this.servers[i]!;
    const w = Math.max(0, Math.min(256, Math.floor(s.weight)));
    this.nextEw[i] = Math.floor((w * this.wdiv + this.wmult - 1) / this.wmult);
    this.nextUsable[i] = s.up && this.nextEw[i]! > 0 ? 1 : 0;
  }

  nextEweight(i: number): number {
    return this.nextEw[i]!;
  }

  willBeUsable(i: number): boolean {
    return this.nextUsable[i] === 1;
  }

  /** Index of an updated server whose state or weight really changed, else -1. */
  refreshChanged(server: LbServer): number {
    const i = this.indexOf(server);
    if (i < 0) return -1;
    this.refresh(i);
    return this.changed(i) ? i : -1;
  }

  changed(i: number): boolean {
    return this.curUsable[i] !== this.nextUsable[i] || this.curEweight[i] !== this.nextEw[i];
  }

  commit(i: number): void {
    this.curUsable[i] = this.nextUsable[i]!;
    this.curEweight[i] = this.nextEw[i]!;
  }

  /** recount_servers() then update_backend_weight(), from the "next" values. */
  recount(): void {
    this.srvAct = this.srvBck = this.totWact = this.totWbck = 0;
    this.fbck = -1;
    for (let i = 0; i < this.n; i++) {
      if (!this.willBeUsable(i)) continue;
      if (this.backup[i]) {
        // `option allbackups` is not supported, so the first usable backup is remembered.
        if (this.srvBck === 0) this.fbck = i;
        this.srvBck++;
        this.totWbck += this.nextEweight(i);
      } else {
        this.srvAct++;
        this.totWact += this.nextEweight(i);
      }
    }
    if (this.srvAct) {
      this.totWeight = this.totWact;
      this.totUsed = this.srvAct;
    } else if (this.fbck >= 0) {
      this.totWeight = this.nextEweight(this.fbck);
      this.totUsed = 1;
    } else {
      this.totWeight = this.totWbck;
      this.totUsed = this.srvBck;
    }
  }
}
