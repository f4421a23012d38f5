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
    expect(Array.from({ length: 100 }, (_, i) => list.at(i))).toEqual(points);
    expect(JSON.stringify(list.at(1))).toBe(JSON.stringify(points[1]));
    const copy = new PointList(list.packed);
    expect(list.packed).toHaveLength(500);
    // A copy: what another thread does with it leaves the list as it was.
    list.packed.fill(0);
    expect(list.at(99)).toEqual(points[99]);
    expect(Array.from({ length: copy.length }, (_, i) => copy.at(i))).toEqual(points);
  });
});
