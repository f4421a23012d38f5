import Database from 'better-sqlite3';
import { Random } from '../../sim/random';
import { PackedNumbers, packedRow } from './packedRows';

describe('packed rows', () => {
  /** What `PackedNumbers` reads back of rows SQLite packed, row by row. */
  function roundTrip(rows: Array<Array<number | null>>): Array<Array<number | null>> {
    const db = new Database(':memory:');
    try {
      db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY, a REAL, b INTEGER, c REAL)');
      const insert = db.prepare('INSERT INTO t (a, b, c) VALUES (?, ?, ?)');
      for (const row of rows) insert.run(...row);
      const text = db
        .prepare(`SELECT group_concat(${packedRow(['a', 'b', 'c'])}, ',' ORDER BY n) FROM t`)
        .pluck()
        .get() as string | null;
      const values = new PackedNumbers(text);
      const read: Array<Array<number | null>> = [];
      while (!values.done) read.push([values.next(), values.next(), values.next()]);
      return read;
    } finally {
      db.close();
    }
  }

  it('when SQLite packs integers, reals and NULLs, then each reads back as the same number or null', () => {
    const random = new Random(11);
    const real = () =>
      random.chance(0.3)
        ? random.int(0, 2 ** 40)
        : random.chance(0.3)
          ? (random.next() - 0.5) * 10 ** random.int(-300, 300)
          : random.chance(0.5)
            ? random.next() * 100
            : -random.int(1, 1000);
    const rows = Array.from({ length: 3000 }, () => [
      random.chance(0.1) ? null : real(),
      random.chance(0.1) ? null : random.int(-(2 ** 53) + 1, 2 ** 53 - 1),
      random.chance(0.2) ? null : real(),
    ]);
    // Values that read as a whole number with ".0", a row that ends in a NULL, and the smallest doubles.
    rows.push([33541, 0, null], [0.5, 1, 5e-324], [null, null, null], [1e21, -1, 2 ** 53]);
    // Fractions read digit by digit (at most 15 digits) and those past that, read as text is.
    rows.push([0.1, 3, 12.345], [99.99999999999999, 4, 1234567890.12345], [0.000123, 5, 123456789012345.6], [0.30000000000000004, 6, 5e-7]);
    expect(roundTrip(rows)).toEqual(rows);
  });

  it('when no rows were packed, then nothing is read', () => {
    expect(roundTrip([])).toEqual([]);
  });

  it('when a packed value is not a number, then reading it says so', () => {
    const values = new PackedNumbers('1,abc,2');
    expect(values.next()).toBe(1);
    expect(() => values.next()).toThrow("not a number in a packed row: 'abc'");
  });
});
