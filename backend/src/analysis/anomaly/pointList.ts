import type { Point } from './scorers';

/**
 * A series' points packed in one array (time, value, trials and outcomes of each, NaN for none): a
 * first pass builds millions of them, most only to be judged once, and a point becomes an object
 * only when a detector takes it. Packed, a series also goes to another thread without copying.
 */
export class PointList {
  private data: Float64Array;
  length = 0;

  /** @param packed triples as `packed` gives them, kept by reference */
  constructor(packed?: Float64Array) {
    this.data = packed ?? new Float64Array(64);
    if (packed) this.length = Math.floor(packed.length / 4);
  }

  static of(points: readonly Point[]): PointList {
    const list = new PointList();
    for (const p of points) list.push(p.time, p.value, p.trials, p.outcomes);
    return list;
  }

  push(time: number, value: number, trials?: number, outcomes?: number): void {
    if (4 * this.length === this.data.length) {
      const grown = new Float64Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    const at = 4 * this.length++;
    this.data[at] = time;
    this.data[at + 1] = value;
    this.data[at + 2] = trials ?? Number.NaN;
    this.data[at + 3] = outcomes ?? Number.NaN;
  }

  /** The `i`-th point, a new object each time. */
  at(i: number): Point {
    const at = 4 * i;
    const point: Point = { time: this.data[at], value: this.data[at + 1] };
    const trials = this.data[at + 2];
    if (!Number.isNaN(trials)) point.trials = trials;
    const outcomes = this.data[at + 3];
    if (!Number.isNaN(outcomes)) point.outcomes = outcomes;
    return point;
  }

  /** A copy of the points' fields, as many as there are points (to hand to another thread, which may keep it). */
  get packed(): Float64Array {
    return this.data.slice(0, 4 * this.length);
  }
}
