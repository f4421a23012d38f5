import type { Point } from './scorers';

/** Numbers a point takes: time, value, trials, outcomes, system outcomes. */
const FIELDS = 5;

/**
 * A series' points packed in one array (time, value, trials, outcomes and system outcomes of each,
 * NaN for none): a first pass builds millions of them, most only to be judged once, and a point becomes an object
 * only when a detector takes it. Packed, a series also goes to another thread without copying.
 */
export class PointList {
  private data: Float64Array;
  length = 0;

  /** @param packed points as `packed` gives them, kept by reference */
  constructor(packed?: Float64Array) {
    this.data = packed ?? new Float64Array(16 * FIELDS);
    if (packed) this.length = Math.floor(packed.length / FIELDS);
  }

  static of(points: readonly Point[]): PointList {
    const list = new PointList();
    for (const p of points) list.push(p.time, p.value, p.trials, p.outcomes, p.systemOutcomes);
    return list;
  }

  push(time: number, value: number, trials?: number, outcomes?: number, systemOutcomes?: number): void {
    if (FIELDS * this.length === this.data.length) {
      const grown = new Float64Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    const at = FIELDS * this.length++;
    this.data[at] = time;
    this.data[at + 1] = value;
    this.data[at + 2] = trials ?? Number.NaN;
    this.data[at + 3] = outcomes ?? Number.NaN;
    this.data[at + 4] = systemOutcomes ?? Number.NaN;
  }

  /** The `i`-th point, a new object each time. */
  at(i: number): Point {
    const at = FIELDS * i;
    const point: Point = { time: this.data[at], value: this.data[at + 1] };
    const trials = this.data[at + 2];
    if (!Number.isNaN(trials)) point.trials = trials;
    const outcomes = this.data[at + 3];
    if (!Number.isNaN(outcomes)) point.outcomes = outcomes;
    const systemOutcomes = this.data[at + 4];
    if (!Number.isNaN(systemOutcomes)) point.systemOutcomes = systemOutcomes;
    return point;
  }

  /** A copy of the points' fields, as many as there are points (to hand to another thread, which may keep it). */
  get packed(): Float64Array {
    return this.data.slice(0, FIELDS * this.length);
  }
}
