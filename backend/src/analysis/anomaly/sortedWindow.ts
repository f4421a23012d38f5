import { firstAtOrAbove, medianOfSorted } from '../stats';

/**
 * The last `capacity` values of a statistic, in the order they came (`history`, kept by reference
 * and updated in place: state that persists as JSON) and in ascending order, for ranks and
 * medians without sorting at each value. Values must be numbers (a NaN has no place in an order).
 */
export class SortedWindow {
  /** The same values in ascending order: the first `size` slots. */
  private readonly sorted: Float64Array;

  /** @param history earlier values, oldest first (any beyond `capacity` are dropped from its start) */
  constructor(
    private readonly capacity: number,
    readonly history: number[] = [],
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
    if (history.length > capacity) history.splice(0, history.length - capacity);
    // One slot more than kept: a value goes in before the oldest goes out.
    this.sorted = new Float64Array(capacity + 1);
    this.sorted.set(history);
    this.sorted.subarray(0, history.length).sort();
  }

  /** How many values it holds (at most `capacity`). */
  get size(): number {
    return this.history.length;
  }

  /** How many of the values are below `value`: the first ascending slot at or above it. */
  rank(value: number): number {
    return firstAtOrAbove(this.sorted, this.history.length, value);
  }

  /** The `i`-th smallest value. */
  nth(i: number): number {
    return this.sorted[i];
  }

  median(): number {
    return medianOfSorted(this.sorted, this.history.length);
  }

  /** Adds `value` (`at` its rank, when known), the oldest going once `capacity` are held. */
  push(value: number, at = this.rank(value)): void {
    const sorted = this.sorted;
    const n = this.history.length;
    this.history.push(value);
    if (n < this.capacity) {
      sorted.copyWithin(at + 1, at, n);
      sorted[at] = value;
      return;
    }
    // Full: the oldest value goes as this one comes, and only the values between the two move.
    const from = firstAtOrAbove(sorted, n, this.history.shift()!);
    if (at > from) {
      sorted.copyWithin(from, from + 1, at);
      sorted[at - 1] = value;
    } else {
      sorted.copyWithin(at + 1, at, from);
      sorted[at] = value;
    }
  }
}
