/*
 * Bulk reads of numbers as one text value a query. better-sqlite3 makes a JavaScript value of every
 * column of every row: reading months of runs, that took several times what SQLite took to find
 * them. `group_concat` of the rows' values comes back as one string instead, read here number by
 * number. SQLite writes integers in full and reals so that they read back to the same double
 * (3.43 and later), so nothing is rounded on the way.
 */

const COMMA = 44;
const ZERO = 48;
const NINE = 57;
const DOT = 46;
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * SQL for one row of `columns` as text: each value, or nothing for a NULL, joined by commas; rows
 * are joined by commas too (`group_concat(packedRow(...), ',' ORDER BY ...)`): their width is known.
 */
export function packedRow(columns: readonly string[]): string {
  return columns.map((column) => `ifnull(${column}, '')`).join(` || ',' || `);
}

/** Reads the numbers of a `packedRow` aggregate in order; null for a NULL. */
export class PackedNumbers {
  private at = 0;

  /** @param text the aggregate's value (null when it aggregated no rows) */
  constructor(private readonly text: string | null) {}

  get done(): boolean {
    return this.text === null || this.at >= this.text.length;
  }

  /** @throws Error when a value is not a number (a query that packed something else) */
  next(): number | null {
    const text = this.text!;
    const start = this.at;
    let end = start;
    // Whole numbers digit by digit (exact below 2^53, as times and ids are); an integral real's ".0" too.
    let value = 0;
    let code = text.charCodeAt(end);
    while (code >= ZERO && code <= NINE) {
      value = value * 10 + (code - ZERO);
      code = text.charCodeAt(++end);
    }
    if (code === DOT && end > start && text.charCodeAt(end + 1) === ZERO) {
      const after = text.charCodeAt(end + 2);
      if (after === COMMA || Number.isNaN(after)) {
        this.at = end + 3;
        return value;
      }
    }
    if (code === COMMA || Number.isNaN(code)) {
      this.at = end + 1;
      return end === start ? null : value;
    }
    if (code === DOT && end > start) {
      // A fraction of at most 15 digits in all (SQLite writes reals with 15 where they read back
      // the same): digits and a power of ten are both exact doubles, so one division rounds them
      // as reading the text does.
      let digits = end - start;
      let next = end + 1;
      code = text.charCodeAt(next);
      while (code >= ZERO && code <= NINE && digits < 15) {
        value = value * 10 + (code - ZERO);
        digits++;
        code = text.charCodeAt(++next);
      }
      if ((code === COMMA || Number.isNaN(code)) && next > end + 1) {
        this.at = next + 1;
        return value / POWERS_OF_TEN[next - end - 1];
      }
    }
    // Anything else (a sign, an exponent, more digits): as JavaScript reads a number.
    end = text.indexOf(',', start);
    if (end < 0) end = text.length;
    const parsed = Number(text.slice(start, end));
    if (Number.isNaN(parsed)) throw new Error(`not a number in a packed row: '${text.slice(start, end)}'`);
    this.at = end + 1;
    return parsed;
  }
}
