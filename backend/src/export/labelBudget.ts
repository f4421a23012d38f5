/** The label value that stands for every value past a budget. */
export const OTHER_LABEL = 'other';

/**
 * The label values one label may take in `/metrics`: the first `limit` values seen keep their own,
 * the rest share `other`, so a fleet of ten thousand workflows (or a runner that puts a run id
 * in a workflow name) cannot make every scrape megabytes long. `onFold` is told of each value
 * folded, each time.
 */
export class LabelBudget {
  private readonly admitted = new Set<string>();

  constructor(
    readonly limit: number,
    private readonly onFold: () => void,
  ) {
    if (!(Number.isInteger(limit) && limit >= 0)) throw new RangeError(`LabelBudget: limit must be a whole number, got ${limit}`);
  }

  /** `value` itself while it is admitted or there is room for it, else `other`. */
  label(value: string): string {
    if (this.admitted.has(value)) return value;
    if (this.admitted.size < this.limit) {
      this.admitted.add(value);
      return value;
    }
    this.onFold();
    return OTHER_LABEL;
  }

  /**
   * Whether `value` has a label of its own, given one if there is room: for gauges read from the
   * database, whose workflows may never have reached this collector's ingest. Folds nothing.
   */
  admit(value: string): boolean {
    if (!this.admitted.has(value) && this.admitted.size < this.limit) this.admitted.add(value);
    return this.admitted.has(value);
  }

  /** Whether `value` has a label of its own. */
  has(value: string): boolean {
    return this.admitted.has(value);
  }
}
