/**
 * A frequency counter over a period, as HAProxy 2.6 keeps `http_req_rate(P)` in a stick
 * table (include/haproxy/freq_ctr.h update_freq_ctr_period, src/freq_ctr.c freq_ctr_total):
 *  - two buckets: the events of the current period and of the one before it;
 *  - the current period starts at `currTick`, stored rounded down to an even millisecond
 *    (HAProxy uses the low bit as a lock); a new counter's first event opens a period at
 *    that moment, and a counter idle for two periods or more starts afresh the same way;
 *  - an event one period on rotates: the current count becomes the previous one and the
 *    period start moves by exactly one period (the grid is kept);
 *  - the rate read at `now` is the current count plus the previous one weighted by the
 *    part of the previous period still inside the sliding window, rounded down — except
 *    that with no current event and at most one before, it is the previous count (HAProxy's
 *    "flapping correction" at very low rates).
 * Times are milliseconds on one clock (HAProxy's now_ms); the arithmetic on ticks is kept
 * in 32 bits as HAProxy's unsigned ticks are, so a clock that wraps reads the same.
 */

const U32 = 0x1_0000_0000;

/** a − b on 32-bit unsigned ticks. */
function elapsed(now: number, since: number): number {
  return (((now - since) % U32) + U32) % U32;
}

export class FreqCtr {
  currTick = 0;
  currCtr = 0;
  prevCtr = 0;

  /** Counts `inc` events at `now`; returns the current period's count (what HAProxy returns). */
  update(now: number, period: number, inc = 1): number {
    const tick = now >>> 0;
    if (elapsed(tick, this.currTick) < period) {
      this.currCtr += inc;
      return this.currCtr;
    }
    this.prevCtr = this.currCtr;
    this.currCtr = inc;
    let next = (this.currTick + period) >>> 0;
    if (elapsed(tick, next) >= period) {
      // Two periods or more without an event: nothing of the past is left in the window.
      this.prevCtr = 0;
      next = tick;
    }
    this.currTick = (next & ~1) >>> 0;
    return inc;
  }

  /** HAProxy's read_freq_ctr_period: events per period, as seen at `now`. */
  read(now: number, period: number): number {
    if (period <= 0) return 0;
    let curr = this.currCtr;
    let past = this.prevCtr;
    // Signed, as HAProxy's `int remain`.
    let remain = ((this.currTick + period - (now >>> 0)) | 0);
    if (remain < 0) {
      remain += period;
      past = remain >= 0 ? curr : 0;
      curr = 0;
    }
    if (curr === 0 && past <= 1) return past;
    return Math.floor((past * remain + curr * period) / period);
  }
}
