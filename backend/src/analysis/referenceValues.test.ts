import {
  betaBinomialUpperTail,
  binomialUpperTail,
  hypergeometricUpperTail,
  incompleteBeta,
  normalCdf,
  normalQuantile,
  studentTTwoSided,
} from './distributions';
import { linearTrend, mannWhitneyU, welchTTest } from './hypothesisTests';
import { median, medianAbsoluteDeviation, quantile } from './stats';

/**
 * The hand-written distributions and tests against values computed by SciPy 1.17.1 (scipy.stats,
 * scipy.special), not by this code: each case says which function gave it. The tolerance is
 * each function's stated accuracy.
 */
describe('distributions against SciPy 1.17.1', () => {
  it.each([
    [-3, 0.0013498980316300933],
    [-1.96, 0.024997895148220435],
    [-1, 0.15865525393145707],
    [0, 0.5],
    [0.5, 0.6914624612740131],
    [1, 0.8413447460685429],
    [2, 0.9772498680518208],
    [3.5, 0.9997673709209645],
  ])('normalCdf(%f) = scipy.stats.norm.cdf = %f', (z, expected) => expect(Math.abs(normalCdf(z) - expected)).toBeLessThan(1e-7));

  it.each([
    [0.001, -3.090232306167813],
    [0.025, -1.9599639845400545],
    [0.1, -1.2815515655446004],
    [0.5, 0],
    [0.9, 1.2815515655446004],
    [0.975, 1.959963984540054],
    [0.999, 3.090232306167813],
  ])('normalQuantile(%f) = scipy.stats.norm.ppf = %f', (p, expected) => expect(Math.abs(normalQuantile(p) - expected)).toBeLessThan(1e-6));

  it.each([
    [2.0, 10, 0.07338803477074037],
    [-2.0, 10, 0.07338803477074037],
    [2.5, 5, 0.05449009934237626],
    [1.0, 1, 0.5000000000000001],
    [3.0, 2.5, 0.07257609554903183],
    [0.5, 30, 0.6207230048851272],
    [4.0, 7.3, 0.004762367164327108],
  ])('studentTTwoSided(%f, %f df) = 2 * scipy.stats.t.sf(|t|, df) = %f', (t, df, expected) =>
    expect(Math.abs(studentTTwoSided(t, df) - expected)).toBeLessThan(1e-9),
  );

  it.each([
    [0.3, 2, 5, 0.5798250000000003],
    [0.5, 0.5, 0.5, 0.5000000000000001],
    [0.9, 10, 3, 0.889130022255],
    [0.2, 1.5, 7.5, 0.6731776423770538],
  ])('incompleteBeta(%f, %f, %f) = scipy.special.betainc(a, b, x) = %f', (x, a, b, expected) =>
    expect(Math.abs(incompleteBeta(x, a, b) - expected)).toBeLessThan(1e-9),
  );

  it.each([
    [3, 10, 0.1, 0.0701908264],
    [15, 20, 0.5, 0.020694732666015625],
    [1, 100, 0.01, 0.6339676587267705],
    [0, 5, 0.3, 1],
  ])('binomialUpperTail(%i, %i, %f) = scipy.stats.binom.sf(k - 1, n, p) = %f', (k, n, p, expected) =>
    expect(Math.abs(binomialUpperTail(k, n, p) - expected)).toBeLessThan(1e-12),
  );

  it.each([
    [3, 6, 3, 9, 0.23809523809523808],
    [3, 4, 3, 12, 0.01818181818181818],
    [8, 10, 8, 30, 7.688463460577404e-6],
    [2, 5, 4, 20, 0.24871001031991744],
    [0, 5, 4, 20, 1],
    [5, 5, 4, 20, 0],
  ])('hypergeometricUpperTail(%i, %i, %i, %i) = sum of C(K, x) C(N - K, n - x) / C(N, n) for x >= k = %f', (k, draws, marked, population, expected) =>
    expect(Math.abs(hypergeometricUpperTail(k, draws, marked, population) - expected)).toBeLessThan(1e-12),
  );

  it.each([
    [3, 10, 1.7, 99.3, 0.0015193841098588567],
    [4, 10, 15.5, 485.5, 0.00022623147989031533],
    [3, 3, 0.5, 60.5, 7.869356097756075e-6],
    [1, 10, 2.5, 20.5, 0.6189436043159398],
    [10, 10, 3, 2, 0.06593406593406592],
    [5, 20, 50.5, 1450.5, 0.0005065229789364967],
  ])('betaBinomialUpperTail(%i, %i, %f, %f) = scipy.stats.betabinom.sf(k - 1, n, a, b) = %f', (k, n, a, b, expected) =>
    expect(Math.abs(betaBinomialUpperTail(k, n, a, b) / expected - 1)).toBeLessThan(1e-8),
  );
});

describe('tests against SciPy 1.17.1', () => {
  // Two samples with a tie across them (14.3).
  const a = [12.1, 14.3, 9.8, 15.2, 11.0, 13.3, 10.4, 14.3];
  const b = [16.0, 18.2, 14.3, 17.5, 19.9, 15.1, 16.8];

  it('Mann-Whitney U: scipy.stats.mannwhitneyu(a, b, use_continuity=True, method="asymptotic") gives U = 3, p = 0.004434109323344111', () => {
    const result = mannWhitneyU(a, b);
    expect(result.u).toBe(3);
    // The z SciPy's p implies (scipy.stats.norm.isf(p / 2)): the tie and continuity corrections agree exactly.
    expect(result.z).toBeCloseTo(-2.845504785097784, 9);
    // Two-sided: twice normalCdf's error (1e-7).
    expect(Math.abs(result.pValue - 0.004434109323344111)).toBeLessThan(2e-7);
  });

  it('Welch: scipy.stats.ttest_ind(a, b, equal_var=False) gives t = -4.218274992911792 (ours is b - a: +), df = 12.90052340214888, p = 0.0010213125495522743', () => {
    const result = welchTTest(a, b);
    expect(result.t).toBeCloseTo(4.218274992911792, 12);
    expect(result.df).toBeCloseTo(12.90052340214888, 10);
    expect(Math.abs(result.pValue - 0.0010213125495522743)).toBeLessThan(1e-9);
  });

  it.each([
    [[2.1, 3.9, 6.2, 7.8, 10.1, 12.2, 13.8, 16.1, 18.0, 20.2], 2.0072727272727273, 0, 0.9993396857603887, 5.199666229089358e-14],
    [[5, 3, 6, 2, 7, 4, 6, 3, 5, 4], -0.006060606060606061, 4.533333333333333, 0.0001346801346801347, 0.9746170939304974],
  ])('linear trend of %j over 1..10: scipy.stats.linregress gives slope %f, intercept %f, r² %f, p %f', (y, slope, intercept, r2, p) => {
    const trend = linearTrend([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], y);
    expect(trend.slope).toBeCloseTo(slope, 12);
    expect(trend.intercept).toBeCloseTo(intercept, 12);
    expect(trend.r2).toBeCloseTo(r2, 12);
    expect(Math.abs(trend.pValue - p) / p).toBeLessThan(1e-6);
  });
});

/** Quantiles, medians and the median absolute deviation against NumPy 2.4.6 and SciPy 1.17.1, whose calls each case names. */
describe('descriptive statistics against NumPy 2.4.6 and SciPy 1.17.1', () => {
  const y = [2.5, 1.0, 7.25, 3.0, 11.0, 4.5, 6.0];
  it.each([
    ['numpy.percentile([10, 7, 4, 3, 2, 1], 50)', () => quantile([10, 7, 4, 3, 2, 1], 0.5), 3.5],
    ['numpy.quantile([10, 7, 4, 3, 2, 1], 0.95)', () => quantile([10, 7, 4, 3, 2, 1], 0.95), 9.25],
    ['numpy.quantile(y, 0.95)', () => quantile(y, 0.95), 9.874999999999996],
    ['numpy.quantile(y, 0.99)', () => quantile(y, 0.99), 10.774999999999999],
    ['numpy.quantile(y, 0.1)', () => quantile(y, 0.1), 1.9000000000000001],
    ['numpy.median(y)', () => median(y), 4.5],
    ['numpy.median([5, 1, 9, 3])', () => median([5, 1, 9, 3]), 4],
    ['scipy.stats.median_abs_deviation([1, 1, 2, 2, 4, 6, 9])', () => medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9]), 1],
    ['scipy.stats.median_abs_deviation(y)', () => medianAbsoluteDeviation(y), 2],
  ])('%s', (_, compute, expected) => expect(Math.abs(compute() - expected)).toBeLessThan(1e-12));
});
