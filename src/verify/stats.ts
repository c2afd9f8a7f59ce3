/**
 * The statistics the verifier's verdicts rest on, written by hand (they are the product).
 * One concern per file under stats/; this module is the one import the models use.
 */
export { logGamma, gammaP, gammaQ } from './stats/gamma.js';
export { betaI, betaIComplement } from './stats/beta.js';
export {
  chiSquareSf, chiSquareCdf, chiSquarePdf, chiSquareCritical, chiSquareTest,
  noncentralChiSquareCdf, noncentralChiSquareSf, type ChiSquareResult,
} from './stats/chisq.js';
export {
  binomialPmf, binomialCdf, binomialSf, binomialTestGreater, binomialTestLess,
  binomialTestTwoSided, binomialAcceptance, binomialCriticalGreater, binomialSampleSize,
} from './stats/binomial.js';
export {
  requiredSampleSize, powerAt, skewEffect, skewedProbs, chiSquarePower,
  DEFAULT_ALPHA, DEFAULT_POWER, DEFAULT_SKEW, type SampleSize, type SampleSizeOptions,
} from './stats/samplesize.js';
export { studentTSf, studentTCdf, welchTestLess, type WelchResult } from './stats/welch.js';
export {
  chiSquareHomogeneity, homogeneityPower, homogeneitySampleSize, type HomogeneityResult,
} from './stats/homogeneity.js';
