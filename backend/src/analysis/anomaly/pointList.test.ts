import { PointList } from './pointList';

describe('PointList', () => {
  it('gives back the points pushed, trials, outcomes and system outcomes only where there were some, through growth and packing', () => {
    const points = Array.from({ length: 100 }, (_, i) =>
      i % 3 === 0
        ? {
            time: 1_790_000_000_000 + i,
            value: i / 7,
            trials: i,
            ...(i % 2 ? { outcomes: 2 ** i - 1 } : {}),
            ...(i % 4 === 1 ? { systemOutcomes: 2 ** (i - 1) } : {}),
          }
        : { time: 1_790_000_000_000 + i, value: -i * 1e300 },
    );
    const list = PointList.of(points);
    expect(list.length).toBe(100);
    expect(list.rates).toBe(true);
    expect(Array.from({ length: 100 }, (_, i) => list.at(i))).toEqual(points);
    expect(JSON.stringify(list.at(1))).toBe(JSON.stringify(points[1]));
    const copy = new PointList(list.packed, { rates: true });
    expect(list.packed).toHaveLength(500);
    // A copy: what another thread does with it leaves the list as it was.
    list.packed.fill(0);
    expect(list.at(99)).toEqual(points[99]);
    expect(Array.from({ length: copy.length }, (_, i) => copy.at(i))).toEqual(points);
  });

  it('packs a series of values in two numbers a point, and refuses a rate’s fields there', () => {
    const list = PointList.of([
      { time: 1, value: 0.5 },
      { time: 2, value: 7 },
    ]);
    expect(list.rates).toBe(false);
    expect(Array.from(list.packed)).toEqual([1, 0.5, 2, 7]);
    expect(new PointList(list.packed).at(1)).toEqual({ time: 2, value: 7 });
    expect(() => list.push(3, 1, 10)).toThrow(/trials or outcomes in a list of values/);
  });

  it('hands a sized list, once full, as its own shared memory; a list not full, or pushed past its size, as a copy', () => {
    const full = PointList.sized(3);
    for (let i = 0; i < 3; i++) full.push(i, 10 * i);
    expect(full.shared).toBe(true);
    // The same memory: another thread reads it without a copy.
    expect(full.packed.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(full.packed.buffer).toBe(full.packed.buffer);
    expect(Array.from(full.packed)).toEqual([0, 0, 1, 10, 2, 20]);

    const partial = PointList.sized(3, { rates: true });
    partial.push(5, 1, 4, 0b1, 0b0);
    expect(partial.packed.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(partial.packed)).toEqual([5, 1, 4, 1, 0]);

    const over = PointList.sized(1);
    over.push(1, 1);
    over.push(2, 2);
    expect(over.shared).toBe(false);
    expect(Array.from({ length: over.length }, (_, i) => over.at(i))).toEqual([
      { time: 1, value: 1 },
      { time: 2, value: 2 },
    ]);
  });

  it('takes lists of values and of rates from one block of shared memory, each its own part, and one past its end from memory of its own', () => {
    const block = PointList.block({ points: 3, ratePoints: 1 });
    const values = block.take(2);
    const rate = block.take(1, { rates: true });
    const last = block.take(1);
    values.push(1, 10);
    rate.push(2, 3, 10, 0b101, 0b1);
    last.push(3, 30);
    values.push(4, 40);
    // Full, each hands its own part of the one block: neither thread copies, and no list wrote into another's.
    expect(values.packed.buffer).toBe(rate.packed.buffer);
    expect(last.packed.buffer).toBe(values.packed.buffer);
    expect(values.packed.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([Array.from(values.packed), Array.from(rate.packed), Array.from(last.packed)]).toEqual([
      [1, 10, 4, 40],
      [2, 3, 10, 5, 1],
      [3, 30],
    ]);

    const beyond = block.take(1);
    beyond.push(5, 50);
    expect(beyond.packed.buffer).not.toBe(values.packed.buffer);
    expect(Array.from(beyond.packed)).toEqual([5, 50]);
    // A list pushed past its part grows into memory of its own, and its neighbour keeps its points.
    values.push(6, 60);
    expect(values.shared).toBe(false);
    expect(Array.from(rate.packed)).toEqual([2, 3, 10, 5, 1]);
    expect(values.at(2)).toEqual({ time: 6, value: 60 });
    // A list for no points keeps those pushed after all.
    const none = PointList.block({ points: 2 }).take(0);
    none.push(7, 70);
    none.push(8, 80);
    expect(Array.from(none.packed)).toEqual([7, 70, 8, 80]);
  });
});
