/**
 * HAProxy 2.6's "statistical" generator, the one `balance random` draws its 32-bit keys from
 * (backend.c get_server_rnd calls statistical_prng, include/haproxy/tools.h). It is
 * Marsaglia's xorshift32 (shifts 13, 17, 5; "Xorshift RNGs", J. Stat. Software 8(14), 2003),
 * one state per thread, and 2.6 never seeds it at run time: every thread starts at
 * 2463534242 + tid × MAX_THREADS (src/tools.c: the initial value, and init_tools_per_thread's
 * step; MAX_THREADS is 64 in 2.6 builds with threads). Health checks draw from another
 * generator (ha_random), so in a running 2.6 process only random balancing moves it (and
 * soft-stop's idle-connection spreading, once the process is stopping).
 *
 * So a fresh HAProxy 2.6 makes the same random picks on every start. haplab's proxy draws
 * from thread 0's stream (runtime.ts processBalancers), as a one-thread HAProxy does; the verifier
 * replays either proxy's picks through haplab's RandomBalancer (which turns k / 2³² back
 * into the key k) to find where its streams stand.
 */

/** The initial state of thread 0 (`statistical_prng_state`). */
export const HAPROXY_PRNG_SEED = 2463534242;
/** Each thread starts this much further (tid × MAX_THREADS). */
export const HAPROXY_PRNG_THREAD_STEP = 64;

/** The state thread `thread` starts from (never 0: xorshift would stay at 0). */
export function haproxyThreadSeed(thread: number): number {
  return ((HAPROXY_PRNG_SEED + thread * HAPROXY_PRNG_THREAD_STEP) >>> 0) || 1;
}

/** One xorshift32 step: the next state, which is also the value drawn. */
export function xorshift32(state: number): number {
  let x = state >>> 0;
  x = (x ^ (x << 13)) >>> 0;
  x = (x ^ (x >>> 17)) >>> 0;
  x = (x ^ (x << 5)) >>> 0;
  return x;
}

/**
 * Thread `thread`'s draws as floats in [0, 1) (k / 2³²), for RandomBalancer, after `skip`
 * draws were already taken by the process.
 */
export function haproxyStream(thread = 0, skip = 0): () => number {
  let state = haproxyThreadSeed(thread);
  for (let i = 0; i < skip; i++) state = xorshift32(state);
  return () => {
    state = xorshift32(state);
    return state / 0x100000000;
  };
}

/** The first `count` raw 32-bit draws of thread `thread`, after `skip`. */
export function haproxyDraws(thread: number, count: number, skip = 0): Uint32Array {
  const out = new Uint32Array(count);
  let state = haproxyThreadSeed(thread);
  for (let i = 0; i < skip; i++) state = xorshift32(state);
  for (let i = 0; i < count; i++) out[i] = state = xorshift32(state);
  return out;
}
