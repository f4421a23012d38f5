import Database from 'better-sqlite3';
import { Random } from '../../sim/random';
import { SqliteSum } from './sqliteSum';

describe('SqliteSum', () => {
  it("adds doubles to the bit as SQLite's sum() does, where plain addition does not", () => {
    const random = new Random(5);
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (g INTEGER, v REAL)');
    const insert = db.prepare('INSERT INTO t (g, v) VALUES (?, ?)');
    const groups: number[][] = [];
    for (let g = 0; g < 500; g++) {
      const values: number[] = [];
      for (let i = random.int(1, 40); i > 0; i--) {
        // Percentages, wide magnitudes that cancel, tiny fractions, whole numbers.
        const value = [random.uniform(0, 100), random.uniform(-1e16, 1e16), 1e-3 * random.next(), Math.round(random.uniform(0, 100)), i % 2 ? 1e20 : -1e20][
          random.int(0, 4)
        ];
        values.push(value);
        insert.run(g, value);
      }
      groups.push(values);
    }
    const sums = db.prepare('SELECT g, sum(v) FROM (SELECT g, v FROM t ORDER BY rowid) GROUP BY g ORDER BY g').raw().all() as Array<[number, number]>;
    db.close();
    const sum = new SqliteSum();
    let plainDiffers = 0;
    for (const [g, expected] of sums) {
      sum.reset();
      for (const v of groups[g]) sum.add(v);
      expect([g, sum.value]).toEqual([g, expected]);
      if (groups[g].reduce((a, b) => a + b, 0) !== expected) plainDiffers++;
    }
    // The data tells the two apart: a plain sum would fail this test.
    expect(plainDiffers).toBeGreaterThan(100);
  });
});
