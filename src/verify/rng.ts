/**
 * The seeded PRNG behind `--seed`: xoshiro128** (Blackman & Vigna), 32-bit, seeded through
 * splitmix32 so that nearby seeds give unrelated streams. Every random choice the verifier
 * makes (keys, addresses, probe order) and every simulation in the tests draws from it, so
 * a run is reproduced exactly by its seed.
 */

export interface Rng {
  /** The seed this stream started from (said in the report so a run can be repeated). */
  readonly seed: string;
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number;
  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number;
  /** An index drawn with probability proportional to weights[i]. */
  weighted(weights: readonly number[]): number;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** A new independent stream, derived from this one (for a sub-task that must not disturb it). */
  fork(label: string): Rng;
}

/** FNV-1a of the seed's text: any string is a seed, and "42" and 42 are the same seed. */
function hashSeed(seed: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

export function createRng(seed: string | number): Rng {
  const text = String(seed);
  const sm = { s: hashSeed(text) };
  const s = [splitmix32(sm), splitmix32(sm), splitmix32(sm), splitmix32(sm)];
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1; // the all-zero state is a fixed point

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };

  const float = (): number => {
    const hi = nextUint32() >>> 5; // 27 bits
    const lo = nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`int(n) needs 1 ≤ n ≤ 2^32, got ${n}`);
    // Rejection sampling: drop the top partial range so every residue is equally likely.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = nextUint32();
      if (x < limit) return x % n;
    }
  };

  const weighted = (weights: readonly number[]): number => {
    const total = weights.reduce((a, w) => a + w, 0);
    if (!(total > 0)) throw new RangeError('weights sum to 0');
    let r = float() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    // Rounding can leave r ≥ 0 after the loop: the last positive weight takes it.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return weights.length - 1;
  };

  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };

  const rng: Rng = {
    seed: text,
    nextUint32,
    float,
    int,
    weighted,
    shuffle,
    fork: (label: string) => createRng(`${text}/${label}/${nextUint32()}`),
  };
  return rng;
}

/** A fresh seed for runs without `--seed`; the report prints it so the run can be repeated. */
export function randomSeed(): string {
  return String(Math.floor(Math.random() * 2 ** 32));
}
