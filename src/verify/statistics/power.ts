/**
 * The power of Pearson's χ² test against a specific alternative, computed better than the
 * textbook noncentral-χ² approximation. That approximation uses the null covariance of the
 * counts; under the alternative the covariance is the alternative's, and ignoring it
 * overstates the power against an upward skew of the lightest server (exact enumeration,
 * 3 equal servers, n = 1033: 0.943, where the approximation promises 0.950).
 *
 * With Y_j = (O_j − n p_j)/√(n p_j), Y is asymptotically normal with mean √n (q − p)/√p and
 * covariance D^(−½)(diag q − q qᵀ)D^(−½), so X² = YᵀY is a weighted sum of noncentral χ²(1),
 * whose tail Imhof's integral gives. Two cells (one df) are done exactly with the binomial.
 */
import { binomialCdf, binomialSf } from './binomial.js';
import { chiSquareCritical } from './chisq.js';
import { symmetricEigen } from './eigen.js';

/**
 * P(Q > x) for Q = Σ_r λ_r (Z_r + b_r)², Z_r independent standard normals, λ_r > 0, δ_r = b_r²
 * (Imhof 1961). The integrand is integrated with 10-point Gauss–Legendre on panels a quarter
 * of its fastest oscillation wide, far enough that the tail left out is below about 1e-9.
 */
export function imhofSf(x: number, lambdas: readonly number[], deltas: readonly number[]): number {
  const k = lambdas.length;
  const theta = (u: number): number => {
    let s = 0;
    for (let r = 0; r < k; r++) {
      const lu = lambdas[r]! * u;
      s += Math.atan(lu) + (deltas[r]! * lu) / (1 + lu * lu);
    }
    return 0.5 * s - 0.5 * x * u;
  };
  const logRho = (u: number): number => {
    let s = 0;
    for (let r = 0; r < k; r++) {
      const l2u2 = (lambdas[r]! * u) ** 2;
      s += 0.25 * Math.log1p(l2u2) + (0.5 * deltas[r]! * l2u2) / (1 + l2u2);
    }
    return s;
  };
  const integrand = (u: number): number => {
    if (u === 0) {
      // The limit of sin θ(u)/u as u → 0 is θ'(0).
      let s = 0;
      for (let r = 0; r < k; r++) s += lambdas[r]! * (1 + deltas[r]!);
      return 0.5 * s - 0.5 * x;
    }
    return Math.sin(theta(u)) / (u * Math.exp(logRho(u)));
  };
  // Truncation. Far out, θ(u) turns at the steady rate x/2 while the amplitude 1/(u ρ(u))
  // decays as a power of u, so the integral beyond U is an alternating tail of size about
  // amplitude(U) / (x/2): stop where that is below 1e-9, and average the integrals to U and
  // to U + half a period, which cancels the leading term of that tail.
  const steady = Math.max(0.5 * x, 0.05);
  const amplitude = (u: number): number => Math.exp(-Math.log(u) - logRho(u));
  let upper = 1;
  while (amplitude(upper) / steady > 1e-9 && upper < 1e7) upper *= 2;
  let rate = 0.5 * x;
  for (let r = 0; r < k; r++) rate += 0.5 * lambdas[r]! * (1 + deltas[r]!);
  const width = Math.min(1, Math.PI / (2 * rate));
  let sum = 0;
  let a = 0;
  for (; a + width <= upper; a += width) sum += gaussLegendre(integrand, a, a + width);
  const halfPeriod = Math.PI / steady;
  const extra = gaussLegendre(integrand, a, a + halfPeriod / 2) + gaussLegendre(integrand, a + halfPeriod / 2, a + halfPeriod);
  sum += extra / 2;
  return Math.min(1, Math.max(0, 0.5 + sum / Math.PI));
}

const GL_X = [0.1488743389816312, 0.4333953941292472, 0.6794095682990244, 0.8650633666889845, 0.9739065285171717];
const GL_W = [0.2955242247147529, 0.2692667193099963, 0.2190863625159820, 0.1494513491505806, 0.0666713443086881];

function gaussLegendre(f: (u: number) => number, a: number, b: number): number {
  const mid = (a + b) / 2;
  const half = (b - a) / 2;
  let s = 0;
  for (let i = 0; i < GL_X.length; i++) {
    s += GL_W[i]! * (f(mid - half * GL_X[i]!) + f(mid + half * GL_X[i]!));
  }
  return s * half;
}

/**
 * Power of the level-alpha Pearson test of `n` observations against null shares `p` when
 * the true shares are `q`. Both are normalized; cells with p = 0 are left out.
 */
export function chiSquareTestPower(n: number, p: readonly number[], q: readonly number[], alpha: number): number {
  const cells = p.map((pi, i) => ({ pi, qi: q[i]! })).filter((c) => c.pi > 0);
  const tp = cells.reduce((s, c) => s + c.pi, 0);
  const tq = cells.reduce((s, c) => s + c.qi, 0);
  const P = cells.map((c) => c.pi / tp);
  const Q = cells.map((c) => c.qi / tq);
  const k = P.length;
  if (k < 2 || n <= 0) return 0;
  const critical = chiSquareCritical(alpha, k - 1);
  if (k === 2) {
    // X² = (O₁ − n p₁)² / (n p₁ p₂): reject outside [n p₁ − h, n p₁ + h], exactly.
    const h = Math.sqrt(critical * n * P[0]! * P[1]!);
    const lo = Math.ceil(n * P[0]! - h) - 1; // largest count below the band
    const hi = Math.floor(n * P[0]! + h) + 1; // smallest count above it
    return binomialCdf(lo, n, Q[0]!) + binomialSf(hi, n, Q[0]!);
  }
  const cov = P.map((pi, i) => P.map((pj, j) => ((i === j ? Q[i]! : 0) - Q[i]! * Q[j]!) / Math.sqrt(pi * pj)));
  const mean = P.map((pi, i) => (Math.sqrt(n) * (Q[i]! - pi)) / Math.sqrt(pi));
  const { values, vectors } = symmetricEigen(cov);
  const lambdas: number[] = [];
  const deltas: number[] = [];
  let outside = 0; // |mean|² along directions without variance: a constant in X²
  values.forEach((value, r) => {
    const proj = vectors[r]!.reduce((s, vr, i) => s + vr * mean[i]!, 0);
    if (value > 1e-12) {
      lambdas.push(value);
      deltas.push((proj * proj) / value);
    } else outside += proj * proj;
  });
  return imhofSf(critical - outside, lambdas, deltas);
}
