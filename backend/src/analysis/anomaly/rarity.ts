import { firstAtOrAbove } from '../stats';

/**
 * How rare a value is among the last `capacity` values of the same statistic, judged online: the
 * share of that history at or above it, as a score `1 - (atOrAbove + 1) / (n + 1)` in [0, 1). A
 * value above every one of them (a record) scores above every other value: by how far it passes
 * the previous maximum, `1 - exp(-(value / max - 1)) / (n + 1)`.
 *
 * It calibrates a detector's distance per series: on a series whose robust z is often 6 (heavy
 * tails, a spread that collapses), a z of 6 is ordinary; on a calm one it is rare.
 */
export class Rarity {
  /** The same values in ascending order, for binary search: the first `size` slots. */
  private readonly sorted: Float64Array;

  /** @param history earlier values, oldest first: kept by reference and updated in place (state that persists as JSON). */
  constructor(
    private readonly capacity: number,
    private readonly history: number[] = [],
  ) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
    if (history.length > capacity) history.splice(0, history.length - capacity);
    // One slot more than kept: a value goes in before the oldest goes out.
    this.sorted = new Float64Array(capacity + 1);
    this.sorted.set(history);
    this.sorted.subarray(0, history.length).sort();
  }

  /** How many values it has seen (at most `capacity`). */
  get size(): number {
    return this.history.length;
  }

  /** Scores `value` against the history before it, then adds it to the history. */
  observe(value: number): number {
    const sorted = this.sorted;
    const n = this.history.length;
    const at = firstAtOrAbove(sorted, n, value);
    const score = this.scoreAt(value, at);
    this.history.push(value);
    if (n < this.capacity) {
      sorted.copyWithin(at + 1, at, n);
      sorted[at] = value;
      return score;
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
    return score;
  }

  /** The score of `value` against the current history; 0 when there is none. */
  score(value: number): number {
    return this.scoreAt(value, firstAtOrAbove(this.sorted, this.history.length, value));
  }

  /** The score of `value`, `at` being the first of the sorted history at or above it. */
  private scoreAt(value: number, at: number): number {
    const n = this.history.length;
    if (n === 0) return 0;
    const atOrAbove = n - at;
    if (atOrAbove > 0) return 1 - (atOrAbove + 1) / (n + 1);
    return 1 - Math.exp(-(value / Math.max(this.sorted[n - 1], 1e-9) - 1)) / (n + 1);
  }

  /** A JSON-safe copy of the history, oldest first. */
  values(): number[] {
    return [...this.history];
  }
}
