import { SortedWindow } from './sortedWindow';

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
  private readonly window: SortedWindow;

  /** @param history earlier values, oldest first: kept by reference and updated in place (state that persists as JSON). */
  constructor(capacity: number, history: number[] = []) {
    this.window = new SortedWindow(capacity, history);
  }

  /** How many values it has seen (at most `capacity`). */
  get size(): number {
    return this.window.size;
  }

  /** Scores `value` against the history before it, then adds it to the history. */
  observe(value: number): number {
    const at = this.window.rank(value);
    const score = this.scoreAt(value, at);
    this.window.push(value, at);
    return score;
  }

  /** The score of `value` against the current history; 0 when there is none. */
  score(value: number): number {
    return this.scoreAt(value, this.window.rank(value));
  }

  /** The score of `value`, `at` being the first of the sorted history at or above it. */
  private scoreAt(value: number, at: number): number {
    const n = this.window.size;
    if (n === 0) return 0;
    const atOrAbove = n - at;
    if (atOrAbove > 0) return 1 - (atOrAbove + 1) / (n + 1);
    return 1 - Math.exp(-(value / Math.max(this.window.nth(n - 1), 1e-9) - 1)) / (n + 1);
  }

  /** A JSON-safe copy of the history, oldest first. */
  values(): number[] {
    return [...this.window.history];
  }
}
