import { Random } from '../../sim/random';
import { medianInPlace } from '../stats';
import { medianDistanceNear, type SortedBuckets } from './bucketDistances';

/** Buckets of values, each sorted, as `FittedValues` keeps them. */
function bucketsOf(lists: number[][]): SortedBuckets {
  const sorted = lists.map((list) => Float64Array.from(list).sort());
  return { buckets: lists.length, countIn: (b) => lists[b].length, ascendingIn: (b) => sorted[b] };
}

/** The median of every value's distance from its bucket's center, by selection over all of them. */
function byHand(lists: number[][], centers: Float64Array): number {
  return medianInPlace(Float64Array.from(lists.flatMap((list, b) => list.map((v) => Math.abs(v - centers[b])))));
}

describe('median distance from bucket centers', () => {
  it('when the guess is near, then it gives what a selection over every distance gives, to the bit', () => {
    const random = new Random(3);
    let narrowed = 0;
    for (let trial = 0; trial < 400; trial++) {
      const buckets = random.chance(0.8) ? 24 : random.int(2, 40);
      // Spreads of any size, whole numbers with ties, and buckets left empty.
      const scale = 10 ** random.int(-4, 6);
      const whole = random.chance(0.3);
      const lists = Array.from({ length: buckets }, () =>
        Array.from({ length: random.chance(0.1) ? 0 : random.int(1, 120) }, () => (whole ? Math.round(random.uniform(0, 50)) : scale * (5 + random.normal()))),
      );
      const total = lists.reduce((sum, list) => sum + list.length, 0);
      if (total === 0) continue;
      const overall = medianInPlace(Float64Array.from(lists.flat()));
      const centers = Float64Array.from(lists, (list) => (list.length >= 10 && random.chance(0.8) ? medianInPlace(Float64Array.from(list)) : overall));
      const exact = byHand(lists, centers);
      for (const guess of [exact, exact * random.uniform(0.8, 1.2), exact * random.uniform(0, 5), 0, Number.NaN]) {
        const found = medianDistanceNear(bucketsOf(lists), centers, total, guess);
        if (found === undefined) continue;
        expect(found).toBe(exact);
        narrowed++;
      }
      // Close to the answer, the distances are always narrowed down (the point of it).
      if (exact > 0 && total >= 100) expect(medianDistanceNear(bucketsOf(lists), centers, total, exact * 1.05)).toBe(exact);
    }
    expect(narrowed).toBeGreaterThan(800);
  });

  it('when more than half the values sit on their centers, then the median distance is 0 from a guess of 0', () => {
    const lists = [
      [5, 5, 5, 9],
      [2, 2, 7],
    ];
    expect(medianDistanceNear(bucketsOf(lists), Float64Array.of(5, 2), 7, 0)).toBe(0);
    // Half or fewer on their centers: 0 is no place to start from.
    expect(
      medianDistanceNear(
        bucketsOf([
          [5, 6],
          [2, 3],
        ]),
        Float64Array.of(5, 2),
        4,
        0,
      ),
    ).toBeUndefined();
  });
});
