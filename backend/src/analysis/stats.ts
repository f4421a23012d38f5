import * as ss from 'simple-statistics';

/**
 * Descriptive statistics over `readonly number[]`. Every function throws a RangeError on input it
 * cannot describe (empty, or too short for the statistic) instead of returning NaN.
 *
 * Sums, means, extremes, sample variances and the median absolute deviation are simple-statistics'
 * (its sum compensates rounding, Kahan's way). Quantiles and medians are ours: the quantile is Hyndman and Fan's type 7, as
 * numpy's and the seed module's percentiles, which simple-statistics' `quantile` is not; the
 * median is found in linear time and in place, for baselines that take it of thousands of points
 * every pass (simple-statistics sorts a copy).
 */

function requireValues(values: readonly number[], what: string, min = 1): void {
  if (values.length < min) {
    throw new RangeError(`${what} needs at least ${min} value${min > 1 ? 's' : ''}, got ${values.length}`);
  }
}

/** 0 for an empty list. @example sum([0.1, 0.2, 0.3]) === 0.6 (not 0.6000000000000001) */
export function sum(values: readonly number[]): number {
  return values.length ? ss.sum(values as number[]) : 0;
}

/** @throws RangeError on an empty list. @example mean([1, 2, 6]) === 3 */
export function mean(values: readonly number[]): number {
  requireValues(values, 'mean');
  return ss.mean(values as number[]);
}

/** @throws RangeError on an empty list. */
export function min(values: readonly number[]): number {
  requireValues(values, 'min');
  return ss.min(values as number[]);
}

/** @throws RangeError on an empty list. */
export function max(values: readonly number[]): number {
  requireValues(values, 'max');
  return ss.max(values as number[]);
}

export function sortedCopy(values: readonly number[]): number[] {
  return Float64Array.from(values).sort() as unknown as number[];
}

/**
 * Quantile of already sorted values by linear interpolation between closest ranks
 * (Hyndman and Fan type 7, as numpy's default and the seed module's percentiles).
 * @throws RangeError on an empty list or p outside [0, 1].
 * @example quantileSorted([1, 2, 3, 4], 0.5) === 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  return quantileOfSortedRange(sorted, 0, sorted.length, p);
}

/**
 * `quantileSorted` of `sorted[start, start + n)`, already in order: the one place the type-7
 * interpolation is written (panels take it of ranges of a pool, without a view each).
 * @throws RangeError on an empty range or p outside [0, 1].
 */
export function quantileOfSortedRange(sorted: ArrayLike<number>, start: number, n: number, p: number): number {
  if (n <= 0) throw new RangeError('quantile needs at least 1 value, got 0');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile p must be in [0, 1], got ${p}`);
  const position = (n - 1) * p;
  const lower = start + Math.floor(position);
  const upper = start + Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Math.floor(position));
}

/** @throws RangeError on an empty list. @example quantile([10, 20, 30, 40, 50], 0.95) === 48 */
export function quantile(values: readonly number[], p: number): number {
  return quantileSorted(sortedCopy(values), p);
}

/** The k-th smallest value (absolute index) of `a[left..right]`, reordering it in place (Hoare's quickselect). */
function select(a: Float64Array, k: number, left: number, right: number): number {
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

/**
 * The k-th smallest (from 0) of `values[start..end)`, reordering them: none before it is larger
 * and none after it smaller.
 * @throws RangeError when k is outside the range.
 */
export function kthSmallestInPlace(values: Float64Array, k: number, start = 0, end = values.length): number {
  if (!(k >= 0 && start + k < end)) throw new RangeError(`no value ${k} among ${end - start}`);
  return select(values, start + k, start, end - 1);
}

/**
 * The median, in linear time (baselines take the median of thousands of points often).
 * @throws RangeError on an empty list. @example median([5, 1, 3]) === 3
 */
export function median(values: readonly number[]): number {
  requireValues(values, 'median');
  return medianInPlace(Float64Array.from(values));
}

/**
 * The median of `values[start..end)`, reordering them (a scratch array's ranges need no views).
 * @throws RangeError on an empty range.
 */
export function medianInPlace(values: Float64Array, start = 0, end = values.length): number {
  const n = end - start;
  if (n <= 0) throw new RangeError('median needs at least 1 value, got 0');
  const upper = select(values, start + (n >> 1), start, end - 1);
  if (n % 2 === 1) return upper;
  // The lower middle is the largest value left of the upper one after selection.
  let lower = values[start];
  for (let i = start + 1; i < start + (n >> 1); i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

/** Sample variance (n - 1). @throws RangeError with fewer than 2 values. */
export function variance(values: readonly number[]): number {
  requireValues(values, 'variance', 2);
  return ss.sampleVariance(values as number[]);
}

/** Sample standard deviation. @throws RangeError with fewer than 2 values. @example standardDeviation([2, 4, 4, 4, 5, 5, 7, 9]) ≈ 2.138 */
export function standardDeviation(values: readonly number[]): number {
  requireValues(values, 'variance', 2);
  return ss.sampleStandardDeviation(values as number[]);
}

/** Median absolute deviation from the median (simple-statistics'). @throws RangeError on an empty list. @example medianAbsoluteDeviation([1, 1, 2, 2, 4, 6, 9]) === 1 */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  requireValues(values, 'median');
  return ss.medianAbsoluteDeviation(values as number[]);
}

/** 1.4826 × MAD: the standard deviation a normal distribution with this MAD would have. */
export const MAD_TO_SIGMA = 1.4826;

/** @throws RangeError on an empty list. */
export function robustSigma(values: readonly number[]): number {
  return MAD_TO_SIGMA * medianAbsoluteDeviation(values);
}

/** The median of the first `n` (at least one) of ascending `sorted`: the mean of the middle two for an even `n`. */
export function medianOfSorted(sorted: Float64Array, n: number): number {
  return n % 2 === 1 ? sorted[n >> 1] : (sorted[(n >> 1) - 1] + sorted[n >> 1]) / 2;
}

/** The index of the first of the first `n` elements of ascending `sorted` that is at or above `value`. */
export function firstAtOrAbove(sorted: Float64Array, n: number, value: number): number {
  let low = 0;
  let high = n;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
