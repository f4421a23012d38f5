import { firstAtOrAbove, medianOfSorted } from '../stats';
import type { Point } from './scorers';

/**
 * The points a baseline was last fitted to, with their transformed values in window order and
 * in ascending order, and how many fall in each seasonal bucket. A detector's window only loses
 * points at its start and gains them at its end between fits (or is replaced whole), so a fit
 * updates all of it with the points that left and came instead of transforming, counting and
 * selecting over every point again. The medians it gives are the very numbers a selection over
 * the same values gives. Where the seasonal buckets hold many values it keeps each bucket's in
 * order too, so a seasonal fit reads their medians off them.
 */
export class FittedValues {
  /** The points in window order: slots [start, start + count) of `points`, `values` and `keys`. */
  private points: Point[] = [];
  private values = new Float64Array(16);
  private keys = new Int32Array(16);
  private start = 0;
  private count = 0;
  private ascending = new Float64Array(16);
  /** False until a fit, and after one with a value that is not a finite number (no order then). */
  private ordered = false;
  private readonly perBucket: Int32Array;
  /**
   * Each seasonal bucket's values in ascending order (its first `perBucket` slots), kept while the
   * values are ordered and the buckets hold many of them; undefined otherwise.
   */
  private bucketAscending: Float64Array[] | undefined;
  /** Buckets with at least `minBucketPoints` points (and at least one). */
  private full = 0;
  /** Buckets with two or more points. */
  private crowded = 0;

  /**
   * @param bucketOf the seasonal bucket of a time, in [0, buckets)
   * @param minBucketPoints points a bucket needs to count as full
   */
  constructor(
    buckets: number,
    private readonly bucketOf: (time: number) => number,
    readonly minBucketPoints: number,
  ) {
    this.perBucket = new Int32Array(buckets);
  }

  get size(): number {
    return this.count;
  }

  get buckets(): number {
    return this.perBucket.length;
  }

  /** How many values seasonal bucket `bucket` holds. */
  countIn(bucket: number): number {
    return this.perBucket[bucket];
  }

  /**
   * Whether each bucket's values are in order too (`ascendingIn`): while the values are, and the
   * buckets hold 16 or more on average (8 once kept), as hours of the day over a busy week do. With
   * fewer, a pass over them all is as quick as keeping the orders.
   */
  get bucketsInOrder(): boolean {
    return this.bucketAscending !== undefined;
  }

  /** Seasonal bucket `bucket`'s values in ascending order, in its first `countIn(bucket)` slots (while `bucketsInOrder`). */
  ascendingIn(bucket: number): Float64Array {
    return this.bucketAscending![bucket];
  }

  /** Whether some seasonal bucket has points enough for a median of its own. */
  get anyBucketFull(): boolean {
    return this.full > 0;
  }

  /** Whether no seasonal bucket holds more than one value (a week of hours of the week). */
  get oneValueEach(): boolean {
    return this.crowded === 0;
  }

  /** Each value into `into` at its seasonal bucket (the value of a bucket holding one: `oneValueEach`). */
  valuesByBucket(into: Float64Array): void {
    for (let slot = this.start; slot < this.start + this.count; slot++) into[this.keys[slot]] = this.values[slot];
  }

  /**
   * Brings the set to the first `n` points of `window`.
   * @returns whether every value is a finite number: only then do `median` and `medianDistance` answer.
   */
  update(window: readonly Point[], n: number, transform: (value: number) => number): boolean {
    let offset = 0;
    while (offset < this.count && this.points[this.start + offset] !== window[0]) offset++;
    const kept = Math.min(n, this.count - offset);
    // The points kept must be the window's first, in order: else the window was replaced.
    let same = kept > 0;
    for (let i = 0; same && i < kept; i++) same = this.points[this.start + offset + i] === window[i];
    if (!same) return this.refill(window, n, transform, 0);
    const changes = offset + (this.count - offset - kept) + (n - kept);
    // Each point that left or came moves part of the sorted values; past a third of them, one sort is cheaper.
    if (!this.ordered || changes > n / 3) return this.refill(window, n, transform, kept, offset);
    while (offset-- > 0) this.dropFirst();
    while (this.count > kept) this.dropLast();
    for (let i = kept; i < n; i++) this.append(window[i], transform(window[i].value));
    this.orderBuckets();
    return this.ordered;
  }

  /** Starts or stops keeping each bucket's values in order, as `bucketsInOrder` says. */
  private orderBuckets(): void {
    const buckets = this.perBucket.length;
    const wanted = this.ordered && buckets > 1 && this.count >= (this.bucketAscending ? 8 : 16) * buckets;
    if (!wanted) {
      this.bucketAscending = undefined;
      return;
    }
    if (this.bucketAscending) return;
    const sorted = Array.from(this.perBucket, (count) => new Float64Array(Math.max(4, 2 * count)));
    const filled = new Int32Array(buckets);
    for (let slot = this.start; slot < this.start + this.count; slot++) sorted[this.keys[slot]][filled[this.keys[slot]]++] = this.values[slot];
    for (let key = 0; key < buckets; key++) sorted[key].subarray(0, filled[key]).sort();
    this.bucketAscending = sorted;
  }

  /** The values in window order, into `into[0..size)`. */
  copyValues(into: Float64Array): void {
    into.set(this.values.subarray(this.start, this.start + this.count));
  }

  /** The seasonal buckets in window order, into `into[0..size)`. */
  copyBuckets(into: Int32Array): void {
    into.set(this.keys.subarray(this.start, this.start + this.count));
  }

  /** The median of the values (the mean of the middle two for an even count). */
  median(): number {
    return medianOfSorted(this.ascending, this.count);
  }

  /** The median of the values' distances from `center`, walking out from it on both sides. */
  medianDistance(center: number): number {
    const n = this.count;
    const a = this.ascending;
    let right = firstAtOrAbove(a, n, center);
    let left = right - 1;
    let previous = 0;
    let current = 0;
    for (let taken = 0; taken <= n >> 1; taken++) {
      const below = left >= 0 ? Math.abs(a[left] - center) : Infinity;
      const above = right < n ? Math.abs(a[right] - center) : Infinity;
      previous = current;
      if (below <= above) {
        current = below;
        left--;
      } else {
        current = above;
        right++;
      }
    }
    return n % 2 === 1 ? current : (previous + current) / 2;
  }

  /**
   * Fills the set with the first `n` points of `window`, sorting their values once. The first
   * `kept` of them are the set's points from its `offset`-th on: their values are taken as they are.
   */
  private refill(window: readonly Point[], n: number, transform: (value: number) => number, kept: number, offset = 0): boolean {
    const from = this.start + offset;
    this.start = 0;
    this.count = 0;
    this.perBucket.fill(0);
    this.full = 0;
    this.crowded = 0;
    this.ordered = true;
    this.bucketAscending = undefined;
    // Slot i takes slot from + i's point: the slots read are never behind those written.
    for (let i = 0; i < kept; i++) this.place(window[i], this.values[from + i], this.keys[from + i]);
    for (let i = kept; i < n; i++) this.place(window[i], transform(window[i].value));
    if (this.ordered) {
      this.ascending.set(this.values.subarray(0, n));
      this.ascending.subarray(0, n).sort();
    }
    this.orderBuckets();
    return this.ordered;
  }

  /** Adds a point at the end, in order among the values while they are all finite. */
  private append(point: Point, value: number): void {
    if (this.start + this.count === this.values.length) this.makeRoom();
    const key = this.bucketOf(point.time);
    if (this.ordered && Number.isFinite(value)) {
      const a = this.ascending;
      const at = firstAtOrAbove(a, this.count, value);
      a.copyWithin(at + 1, at, this.count);
      a[at] = value;
      if (this.bucketAscending) {
        const count = this.perBucket[key];
        let inBucket = this.bucketAscending[key];
        if (inBucket.length === count) {
          inBucket = new Float64Array(2 * count);
          inBucket.set(this.bucketAscending[key]);
          this.bucketAscending[key] = inBucket;
        }
        const place = firstAtOrAbove(inBucket, count, value);
        inBucket.copyWithin(place + 1, place, count);
        inBucket[place] = value;
      }
    } else {
      this.ordered = false;
      this.bucketAscending = undefined;
    }
    this.place(point, value, key);
  }

  /** Puts a point in the next slot (growing, or moving the slots to the front, when there is none). */
  private place(point: Point, value: number, key = this.bucketOf(point.time)): void {
    if (!Number.isFinite(value)) this.ordered = false;
    if (this.start + this.count === this.values.length) this.makeRoom();
    const slot = this.start + this.count;
    this.points[slot] = point;
    this.values[slot] = value;
    this.keys[slot] = key;
    if (++this.perBucket[key] === Math.max(1, this.minBucketPoints)) this.full++;
    if (this.perBucket[key] === 2) this.crowded++;
    this.count++;
  }

  private dropFirst(): void {
    this.forget(this.start);
    this.start++;
    this.count--;
  }

  private dropLast(): void {
    this.forget(this.start + this.count - 1);
    this.count--;
  }

  private forget(slot: number): void {
    const key = this.keys[slot];
    const value = this.values[slot];
    if (this.bucketAscending) {
      const inBucket = this.bucketAscending[key];
      const at = firstAtOrAbove(inBucket, this.perBucket[key], value);
      inBucket.copyWithin(at, at + 1, this.perBucket[key]);
    }
    if (this.perBucket[key] === 2) this.crowded--;
    if (this.perBucket[key]-- === Math.max(1, this.minBucketPoints)) this.full--;
    // The value is among the sorted ones: it was fitted before.
    const a = this.ascending;
    const at = firstAtOrAbove(a, this.count, value);
    a.copyWithin(at, at + 1, this.count);
    this.points[slot] = undefined as unknown as Point;
  }

  private makeRoom(): void {
    const { start, count } = this;
    const size = count * 2 > this.values.length ? 2 * this.values.length : this.values.length;
    const values = new Float64Array(size);
    values.set(this.values.subarray(start, start + count));
    const keys = new Int32Array(size);
    keys.set(this.keys.subarray(start, start + count));
    this.points = this.points.slice(start, start + count);
    this.values = values;
    this.keys = keys;
    this.start = 0;
    if (this.ascending.length < size) {
      const ascending = new Float64Array(size);
      ascending.set(this.ascending.subarray(0, count));
      this.ascending = ascending;
    }
  }
}
