import type { Point } from './scorers';

/** Numbers a point of a rate takes: time, value, trials, outcomes, system outcomes. */
const RATE_FIELDS = 5;
/** Numbers a point of any other series takes: time and value. */
const VALUE_FIELDS = 2;
const widthOf = (options: { rates?: boolean }) => (options.rates ? RATE_FIELDS : VALUE_FIELDS);

/**
 * A series' points packed in one array, NaN for none: time and value of each, and for a rate
 * (`rates`) its trials, outcomes and system outcomes too. A first pass builds millions of them,
 * most only to be judged once, and a point becomes an object only when a detector takes it. A
 * list made for a known number of points (`sized`) holds them in memory shared between threads,
 * allocated once: a first pass's series go to a helper thread without a copy, and growing arrays
 * of millions of points were most of its garbage.
 */
export class PointList {
  private data: Float64Array;
  length = 0;
  /** Numbers a point takes. */
  readonly width: number;

  /**
   * @param packed points as `packed` gives them, kept by reference
   * @param options `rates` for points with trials and outcomes (`packed` then holds five numbers a
   *   point, else two); `length`, how many of `packed`'s points are points yet (all by default)
   */
  constructor(packed?: Float64Array, options: { rates?: boolean; length?: number } = {}) {
    this.width = widthOf(options);
    this.data = packed ?? new Float64Array(16 * this.width);
    if (packed) this.length = options.length ?? Math.floor(packed.length / this.width);
  }

  /**
   * A list for `count` points, in a `SharedArrayBuffer`: once that many are pushed, `packed` is the
   * list's own array (a list pushed past it grows into memory of its own, as any list).
   */
  static sized(count: number, options: { rates?: boolean } = {}): PointList {
    const shared = new SharedArrayBuffer(Math.max(1, count) * widthOf(options) * Float64Array.BYTES_PER_ELEMENT);
    return new PointList(new Float64Array(shared), { ...options, length: 0 });
  }

  /**
   * Lists for many series, sized as `sized` makes them, in one block of shared memory of `points`
   * values' points and `ratePoints` rates' points: `take` hands each its part. A first pass builds
   * thousands of series, and each block of shared memory took tens of microseconds to allocate.
   * A list for no points, or taken past the block's end, gets memory of its own.
   */
  static block(size: { points?: number; ratePoints?: number }): { take: (count: number, options?: { rates?: boolean }) => PointList } {
    const numbers = (size.points ?? 0) * VALUE_FIELDS + (size.ratePoints ?? 0) * RATE_FIELDS;
    const memory = new Float64Array(new SharedArrayBuffer(Math.max(1, numbers) * Float64Array.BYTES_PER_ELEMENT));
    let used = 0;
    return {
      take: (count, options = {}) => {
        const length = count * widthOf(options);
        // An empty part would not grow: a list for no points gets memory of its own, as `sized` gives it.
        if (length === 0 || used + length > numbers) return PointList.sized(count, options);
        const list = new PointList(memory.subarray(used, used + length), { ...options, length: 0 });
        used += length;
        return list;
      },
    };
  }

  static of(points: readonly Point[]): PointList {
    const rates = points.some((p) => p.trials !== undefined || p.outcomes !== undefined || p.systemOutcomes !== undefined);
    const list = new PointList(undefined, { rates });
    for (const p of points) list.push(p.time, p.value, p.trials, p.outcomes, p.systemOutcomes);
    return list;
  }

  /** @throws Error for trials or outcomes on a list not made for `rates` */
  push(time: number, value: number, trials?: number, outcomes?: number, systemOutcomes?: number): void {
    const width = this.width;
    if (width * this.length === this.data.length) {
      const grown = new Float64Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    const at = width * this.length++;
    this.data[at] = time;
    this.data[at + 1] = value;
    if (width === VALUE_FIELDS) {
      if (trials !== undefined || outcomes !== undefined || systemOutcomes !== undefined)
        throw new Error('a point with trials or outcomes in a list of values; make it for rates');
      return;
    }
    this.data[at + 2] = trials ?? Number.NaN;
    this.data[at + 3] = outcomes ?? Number.NaN;
    this.data[at + 4] = systemOutcomes ?? Number.NaN;
  }

  /** The `i`-th point, a new object each time. */
  at(i: number): Point {
    const at = this.width * i;
    const point: Point = { time: this.data[at], value: this.data[at + 1] };
    if (this.width === VALUE_FIELDS) return point;
    const trials = this.data[at + 2];
    if (!Number.isNaN(trials)) point.trials = trials;
    const outcomes = this.data[at + 3];
    if (!Number.isNaN(outcomes)) point.outcomes = outcomes;
    const systemOutcomes = this.data[at + 4];
    if (!Number.isNaN(systemOutcomes)) point.systemOutcomes = systemOutcomes;
    return point;
  }

  /**
   * The points' fields, as many as there are points, to hand to another thread, which may keep
   * it: the list's own shared array when it is full (`sized`; neither thread writes to it after),
   * else a copy.
   */
  get packed(): Float64Array {
    if (this.shared && this.data.length === this.width * this.length) return this.data;
    return this.data.slice(0, this.width * this.length);
  }

  /** Whether the points are a rate's, with trials and outcomes. */
  get rates(): boolean {
    return this.width === RATE_FIELDS;
  }

  /** Whether the points are in memory shared between threads. */
  get shared(): boolean {
    return this.data.buffer instanceof SharedArrayBuffer;
  }
}
