import { normalCdf, studentTTwoSided } from './distributions';
import { mean, variance } from './stats';

export interface MannWhitneyResult {
  /** U of the first sample. */
  u: number;
  z: number;
  /** Two-sided p-value, normal approximation with tie and continuity correction. */
  pValue: number;
  /**
   * Probability that a value of the second sample exceeds one of the first (ties count half):
   * 0.5 means no shift, 1 means every second-sample value is larger.
   */
  probabilityOfSuperiority: number;
  /** Rank-biserial correlation, 2 × superiority − 1, in [−1, 1]. */
  rankBiserial: number;
}

/**
 * Two-proportion z-test under the pooled rate: `z` is positive when `b`'s rate is the higher;
 * `pValue` is two-sided. Zero spread (both rates 0 or 1) gives z 0 and p 1.
 */
export function twoProportionZ(hitsA: number, runsA: number, hitsB: number, runsB: number): { z: number; pValue: number } {
  const pooled = (hitsA + hitsB) / (runsA + runsB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / runsA + 1 / runsB));
  if (se === 0) return { z: 0, pValue: 1 };
  const z = (hitsB / runsB - hitsA / runsA) / se;
  return { z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/**
 * Mann-Whitney U test: does `b` tend to have larger (or smaller) values than `a`?
 * @throws RangeError when either sample is empty.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  if (a.length === 0 || b.length === 0) {
    throw new RangeError(`Mann-Whitney U needs two non-empty samples, got ${a.length} and ${b.length}`);
  }
  const n1 = a.length;
  const n2 = b.length;
  const pooled = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < pooled.length;) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1].v === pooled[i].v) j++;
    const rank = (i + j + 2) / 2;
    const ties = j - i + 1;
    tieTerm += ties ** 3 - ties;
    for (let k = i; k <= j; k++) if (pooled[k].first) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const expected = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1) || 1)));
  const z = sigma === 0 ? 0 : (u - expected - Math.sign(u - expected) * 0.5) / sigma;
  const pValue = sigma === 0 || z === 0 ? 1 : Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  const probabilityOfSuperiority = 1 - u / (n1 * n2);
  return { u, z, pValue, probabilityOfSuperiority, rankBiserial: 2 * probabilityOfSuperiority - 1 };
}

export interface WelchResult {
  t: number;
  df: number;
  pValue: number;
  /** Difference of means, b − a. */
  meanDifference: number;
  /** Cohen's d with the pooled standard deviation. */
  cohensD: number;
}

/**
 * Welch's t-test for a difference of means with unequal variances.
 * @throws RangeError when a sample has fewer than 2 values.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): WelchResult {
  if (a.length < 2 || b.length < 2) throw new RangeError(`Welch's t-test needs at least 2 values per sample, got ${a.length} and ${b.length}`);
  const va = variance(a) / a.length;
  const vb = variance(b) / b.length;
  const meanDifference = mean(b) - mean(a);
  const se = Math.sqrt(va + vb);
  const t = se === 0 ? (meanDifference === 0 ? 0 : Math.sign(meanDifference) * Infinity) : meanDifference / se;
  const df = se === 0 ? a.length + b.length - 2 : (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const pooled = Math.sqrt(((a.length - 1) * variance(a) + (b.length - 1) * variance(b)) / (a.length + b.length - 2));
  return { t, df, pValue: studentTTwoSided(t, df), meanDifference, cohensD: pooled === 0 ? 0 : meanDifference / pooled };
}

export interface LinearTrend {
  /** Change of the value per unit of x. */
  slope: number;
  intercept: number;
  r2: number;
  /** Two-sided p-value of the slope (t-test with n − 2 degrees of freedom). */
  pValue: number;
}

/**
 * Least-squares line through (x, y), from sums about the means: simple-statistics'
 * `linearRegression` sums raw products, which loses the slope's digits when x is epoch
 * milliseconds (48 s a day read as 47999.06 ms), so the line is ours.
 * @throws RangeError with fewer than 3 points or when all x are equal.
 */
export function linearTrend(x: readonly number[], y: readonly number[]): LinearTrend {
  if (x.length !== y.length) throw new RangeError(`linear trend needs as many x as y, got ${x.length} and ${y.length}`);
  if (x.length < 3) throw new RangeError(`linear trend needs at least 3 points, got ${x.length}`);
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  if (sxx === 0) throw new RangeError('linear trend needs at least two distinct x values');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  const residual = Math.max(0, syy - slope * sxy);
  const df = x.length - 2;
  const se = Math.sqrt(residual / df / sxx);
  const t = se === 0 ? (slope === 0 ? 0 : Infinity) : slope / se;
  return { slope, intercept, r2, pValue: studentTTwoSided(t, df) };
}
