import { firstAtOrAbove, kthSmallestInPlace } from '../stats';

/** Values by seasonal bucket, each bucket's in ascending order (as `FittedValues` keeps them). */
export interface SortedBuckets {
  readonly buckets: number;
  countIn(bucket: number): number;
  ascendingIn(bucket: number): Float64Array;
}

/** Where each bucket's values reach its center, and the distances near the median: scratch, grown as needed. */
let splits = new Int32Array(24 * 7);
let near = new Float64Array(256);

/** The first of `values[0..split)` (below `center`) at most `limit` from it: their distances fall as the index rises. */
function firstWithinBelow(values: Float64Array, split: number, center: number, limit: number): number {
  let low = 0;
  let high = split;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (center - values[middle] <= limit) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The first of `values[split..count)` (at or above `center`) more than `limit` from it. */
function firstBeyondAbove(values: Float64Array, split: number, count: number, center: number, limit: number): number {
  let low = split;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle] - center > limit) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The median over all values of each one's distance from its bucket's center (the mean of the
 * middle two for an even count), without going through every value: the distances up to a guess
 * are counted with two binary searches a bucket, the guess is widened until the median lies
 * between two limits, and only the distances between them are selected among. The answer is the
 * very number a selection over every `Math.abs(value - center)` gives: a distance below the center
 * is `center - value`, which is that to the bit.
 * @param centers each bucket's center
 * @param total the values in all buckets (at least one)
 * @param guess where the median distance likely is (the last fit's)
 * @returns undefined when the guess is too far off to narrow the distances cheaply (select over all of them then)
 */
export function medianDistanceNear(sorted: SortedBuckets, centers: Float64Array, total: number, guess: number): number | undefined {
  if (!(guess >= 0 && Number.isFinite(guess))) return undefined;
  const buckets = sorted.buckets;
  if (splits.length < buckets) splits = new Int32Array(buckets);
  for (let b = 0; b < buckets; b++) splits[b] = firstAtOrAbove(sorted.ascendingIn(b), sorted.countIn(b), centers[b]);
  const within = (limit: number) => {
    let count = 0;
    for (let b = 0; b < buckets; b++) {
      const values = sorted.ascendingIn(b);
      const split = splits[b];
      count += firstBeyondAbove(values, split, sorted.countIn(b), centers[b], limit) - firstWithinBelow(values, split, centers[b], limit);
    }
    return count;
  };
  // The upper middle distance is the k-th smallest (from 0); with an even count the lower is the one before it.
  const k = total >> 1;
  const lowerRank = total % 2 === 1 ? k : k - 1;
  let high = guess;
  let atHigh = within(high);
  // More than half of the distances are 0: so are both middles.
  if (guess === 0 && atHigh > k) return 0;
  if (guess === 0) return undefined;
  // Distances at most `low` must be fewer than the lower middle's rank; at most `high`, more than the upper's.
  let low = guess;
  let atLow = atHigh;
  for (let step = guess / 8, tries = 0; atLow > lowerRank; step *= 2, tries++) {
    if (tries === 6) return undefined;
    low -= step;
    // No distance is negative: below 0, none is at most `low`.
    atLow = low < 0 ? 0 : within(low);
  }
  for (let step = guess / 8, tries = 0; atHigh <= k; step *= 2, tries++) {
    if (tries === 6) return undefined;
    high += step;
    atHigh = within(high);
  }
  const between = atHigh - atLow;
  if (between > Math.max(64, total / 4)) return undefined;
  if (near.length < between) near = new Float64Array(Math.max(between, 2 * near.length));
  let taken = 0;
  for (let b = 0; b < buckets; b++) {
    const values = sorted.ascendingIn(b);
    const split = splits[b];
    const center = centers[b];
    const count = sorted.countIn(b);
    for (let j = firstWithinBelow(values, split, center, high), end = firstWithinBelow(values, split, center, low); j < end; j++)
      near[taken++] = center - values[j];
    for (let j = firstBeyondAbove(values, split, count, center, low), end = firstBeyondAbove(values, split, count, center, high); j < end; j++)
      near[taken++] = values[j] - center;
  }
  const upper = kthSmallestInPlace(near, k - atLow, 0, between);
  if (total % 2 === 1) return upper;
  let lower = near[0];
  for (let i = 1; i < k - atLow; i++) if (near[i] > lower) lower = near[i];
  return (lower + upper) / 2;
}
