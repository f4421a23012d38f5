/**
 * Adds doubles as SQLite's `sum()` adds them (Kahan-Babuska-Neumaier, SQLite 3.43 and later), so
 * that what is summed here equals to the bit what the database sums: the analysis reads sparse
 * samples row by row and dense ones summed by SQLite, and a bucket must not depend on which.
 */
export class SqliteSum {
  private sum = 0;
  private error = 0;

  add(value: number): void {
    const s = this.sum;
    const t = s + value;
    if (Math.abs(s) > Math.abs(value)) this.error += s - t + value;
    else this.error += value - t + s;
    this.sum = t;
  }

  /** The sum so far, as SQLite's `sum()` would answer it. */
  get value(): number {
    return Number.isFinite(this.error) ? this.sum + this.error : this.sum;
  }

  reset(): void {
    this.sum = 0;
    this.error = 0;
  }
}
