/**
 * The statistics the verifier's verdicts rest on, written by hand (they are the product).
 * One concern per file under stats/; this module is the one import the models use.
 */
export { logGamma, gammaP, gammaQ } from './statistics/gamma.js';
export { betaI, betaIComplement } from './statistics/beta.js';
export {
  chiSquareSf, chiSquareCdf, chiSquarePdf, chiSquareCritical, chiSquareTest,
  noncentralChiSquareCdf, noncentralChiSquareSf, type ChiSquareResult,
} from './statistics/chisq.js';
export {
  binomialPmf, binomialCdf, binomialSf, binomialTestGreater, binomialTestLess,
  binomialTestTwoSided, binomialAcceptance, binomialCriticalGreater, binomialSampleSize,
} from './statistics/binomial.js';
export {
  requiredSampleSize, powerAt, skewEffect, skewedProbs, chiSquarePower,
  DEFAULT_ALPHA, DEFAULT_POWER, DEFAULT_SKEW, type SampleSize, type SampleSizeOptions,
} from './statistics/samplesize.js';
export { studentTSf, studentTCdf, welchTestLess, type WelchResult } from './statistics/welch.js';
export {
  chiSquareHomogeneity, homogeneityPower, homogeneitySampleSize, type HomogeneityResult,
} from './statistics/homogeneity.js';
