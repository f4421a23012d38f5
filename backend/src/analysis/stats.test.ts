import { binomialUpperTail, normalCdf, normalQuantile, studentTTwoSided } from './distributions';
import { linearTrend, mannWhitneyU, welchTTest } from './hypothesisTests';
import { max, mean, median, medianAbsoluteDeviation, min, quantile, robustSigma, standardDeviation, sum } from './stats';

describe('descriptive statistics', () => {
  it('sums with compensation, as simple-statistics does: tenths add up exactly where a plain loop gives 0.6000000000000001', () => {
    expect([sum([0.1, 0.2, 0.3]), mean([0.1, 0.2, 0.3]), sum([])]).toEqual([0.6, 0.6 / 3, 0]);
  });

  it.each([
    ['mean', () => mean([1, 2, 6]), 3],
    ['median of an odd count', () => median([5, 1, 3]), 3],
    ['median of an even count', () => median([4, 1, 3, 2]), 2.5],
    ['median with repeated values', () => median([7, 7, 1, 7, 9, 1]), 7],
    ['median of an even count of negatives', () => median([-5, -1, -3, -2]), -2.5],
    ['p95 by linear interpolation', () => quantile([10, 20, 30, 40, 50], 0.95), 48],
    ['p99 by linear interpolation', () => quantile([10, 20, 30, 40, 50], 0.99), 49.6],
    ['p0 and p100 are min and max', () => quantile([3, 9, 1], 0) + quantile([3, 9, 1], 1), 10],
    ['min', () => min([3, -2, 7]), -2],
    ['max', () => max([3, -2, 7]), 7],
    ['sample standard deviation', () => standardDeviation([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7)],
    ['median absolute deviation', () => medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9]), 1],
    ['1.4826 x MAD', () => robustSigma([1, 1, 2, 2, 4, 6, 9]), 1.4826],
    ['a single value is its own median', () => median([42]), 42],
  ])('%s', (_name, compute, expected) => {
    expect(compute()).toBeCloseTo(expected, 10);
  });

  it.each([
    ['mean', () => mean([]), 'mean needs at least 1 value, got 0'],
    ['median', () => median([]), 'median needs at least 1 value, got 0'],
    ['standard deviation of one value', () => standardDeviation([5]), 'variance needs at least 2 values, got 1'],
    ['quantile with p > 1', () => quantile([1, 2], 1.5), 'quantile p must be in [0, 1], got 1.5'],
    ['min', () => min([]), 'min needs at least 1 value, got 0'],
  ])('%s of unusable input throws instead of returning NaN', (_name, compute, message) => {
    expect(compute).toThrow(RangeError);
    expect(compute).toThrow(message);
  });
});

describe('distributions', () => {
  it.each([
    [0, 0.5],
    [1.959964, 0.975],
    [-2.5758, 0.005],
  ])('Φ(%f) = %f', (z, p) => expect(normalCdf(z)).toBeCloseTo(p, 4));

  it.each([
    [2.228, 10, 0.05],
    [12.706, 1, 0.05],
    [0, 5, 1],
  ])('two-sided p of t = %f with %i df is %f', (t, df, p) => expect(studentTTwoSided(t, df)).toBeCloseTo(p, 3));
});

describe('hypothesis tests', () => {
  it('Mann-Whitney U on fully separated samples', () => {
    const result = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(result.u).toBe(0);
    // z = (0 - 12.5 + 0.5) / sqrt(25 * 11 / 12)
    expect(result.z).toBeCloseTo(-12 / Math.sqrt(275 / 12), 6);
    expect(result.pValue).toBeCloseTo(0.01219, 4);
    expect(result.probabilityOfSuperiority).toBe(1);
    expect(result.rankBiserial).toBe(1);
  });

  it('Mann-Whitney U with ties and no shift', () => {
    const result = mannWhitneyU([1, 2, 2, 3], [1, 2, 2, 3]);
    expect(result.u).toBe(8);
    expect(result.pValue).toBe(1);
    expect(result.probabilityOfSuperiority).toBe(0.5);
  });

  it('Mann-Whitney U on constant equal samples is defined (p = 1), not NaN', () => {
    expect(mannWhitneyU([5, 5], [5, 5, 5]).pValue).toBe(1);
  });

  it("Welch's t-test against hand-computed values", () => {
    const result = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    expect(result.t).toBeCloseTo(3 / Math.sqrt(2.5), 6);
    expect(result.df).toBeCloseTo(6.25 / 1.0625, 6);
    expect(result.pValue).toBeCloseTo(0.1073, 3);
    expect(result.meanDifference).toBe(3);
  });

  it('linear trend: slope, r² and p-value of the slope', () => {
    const result = linearTrend([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(result.slope).toBeCloseTo(0.6, 10);
    expect(result.intercept).toBeCloseTo(2.2, 10);
    expect(result.r2).toBeCloseTo(0.6, 10);
    expect(result.pValue).toBeCloseTo(0.124, 3);
  });

  it.each([
    ['Mann-Whitney with an empty sample', () => mannWhitneyU([], [1]), 'Mann-Whitney U needs two non-empty samples, got 0 and 1'],
    ['Welch with one value', () => welchTTest([1], [1, 2]), "Welch's t-test needs at least 2 values per sample, got 1 and 2"],
    ['a trend of two points', () => linearTrend([1, 2], [1, 2]), 'linear trend needs at least 3 points, got 2'],
    ['a trend over one x', () => linearTrend([1, 1, 1], [1, 2, 3]), 'linear trend needs at least two distinct x values'],
  ])('%s throws a clear error', (_name, compute, message) => {
    expect(compute).toThrow(message);
  });
});

describe('binomial and inverse normal', () => {
  it.each([
    [0.975, 1.959964],
    [0.5, 0],
    [0.001, -3.090232],
  ])('Φ⁻¹(%f) = %f', (p, z) => expect(normalQuantile(p)).toBeCloseTo(z, 5));

  it.each([
    [1, 1, 0.005, 0.005],
    [3, 5, 0.02, 10 * 0.02 ** 3 * 0.98 ** 2 + 5 * 0.02 ** 4 * 0.98 + 0.02 ** 5],
    [0, 4, 0.3, 1],
    [5, 4, 0.3, 0],
  ])('P(X >= %i) for n = %i, p = %f', (k, n, p, expected) => expect(binomialUpperTail(k, n, p)).toBeCloseTo(expected, 12));
});

describe('median by selection', () => {
  it('equals the sorted-array median on 500 random lists', () => {
    let seed = 7;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 500; trial++) {
      const values = Array.from({ length: 1 + Math.floor(next() * 60) }, () => Math.round(next() * 20) - 5);
      expect(median(values)).toBe(quantile(values, 0.5));
    }
  });
});
