import { Random } from '../../sim/random';
import { medianInPlace } from '../stats';
import { FittedValues } from './fittedValues';
import type { Point } from './scorers';

const HOUR = 3_600_000;
const hourOfDay = (time: number) => Math.floor(time / HOUR) % 24;

/** What a selection over the first `n` points' values gives: the median, the median distance from it, the full buckets. */
function byHand(window: readonly Point[], n: number, transform: (v: number) => number) {
  const values = window.slice(0, n).map((p) => transform(p.value));
  const median = medianInPlace(Float64Array.from(values));
  const counts = new Map<number, number>();
  for (const p of window.slice(0, n)) counts.set(hourOfDay(p.time), (counts.get(hourOfDay(p.time)) ?? 0) + 1);
  return {
    median,
    distance: medianInPlace(Float64Array.from(values.map((v) => Math.abs(v - median)))),
    anyBucketFull: [...counts.values()].some((c) => c >= 10),
    values,
  };
}

describe('FittedValues', () => {
  it.each([
    ['rising values (each new one often the largest) in a growing window', 1, 0.5, 0.7],
    ['values with many ties in a window that slides', 2, 0, 0.55],
  ])('gives the medians a selection gives, fit after fit: %s', (_name, seed, trend, pushShare) => {
    const random = new Random(seed);
    const fitted = new FittedValues(24, hourOfDay, 10);
    let window: Point[] = [];
    let time = 0;
    let checked = 0;
    for (let step = 0; step < 6000; step++) {
      // A detector's first week: its window only grows, through every size the arrays grow past.
      const op = step < 400 ? 0 : random.uniform(0, 1);
      if (op < pushShare) {
        const value = trend > 0 ? Math.exp(1 + trend * step * 0.001 + 0.2 * random.normal()) : Math.round(random.uniform(1, 40));
        window.push({ time: (time += HOUR / 3), value });
      } else if (op < 0.97) window.splice(0, Math.floor(random.uniform(0, 4)));
      // A window replaced whole (an anomaly accepted as the new normal): same values, new points.
      else window = window.map((p) => ({ ...p }));
      if (window.length === 0) continue;
      // The newest points are sometimes left out of the fit, as the sustained-shift guard does.
      const n = random.chance(0.5) ? window.length : Math.max(1, window.length - Math.floor(random.uniform(0, 25)));
      expect(fitted.update(window, n, Math.log)).toBe(true);
      const expected = byHand(window, n, Math.log);
      const values = new Float64Array(n);
      fitted.copyValues(values);
      expect({
        size: fitted.size,
        median: fitted.median(),
        distance: fitted.medianDistance(expected.median),
        anyBucketFull: fitted.anyBucketFull,
        values: Array.from(values),
      }).toEqual({
        size: n,
        median: expected.median,
        distance: expected.distance,
        anyBucketFull: expected.anyBucketFull,
        values: expected.values,
      });
      checked++;
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it("keeps all values and each hour's in order while the hours hold many, fit after fit as the window grows and slides", () => {
    const random = new Random(4);
    const fitted = new FittedValues(24, hourOfDay, 10);
    let window: Point[] = [];
    let time = 0;
    let inOrder = 0;
    for (let fit = 0; fit < 160; fit++) {
      // Five-minute points: a week's window grows to 2,000, then slides a hundred at a time.
      for (let i = 0; i < 40 + random.int(0, 80); i++)
        window.push({ time: (time += HOUR / 12), value: random.chance(0.2) ? random.int(1, 5) : 50 + 10 * random.normal() });
      if (window.length > 2000) window.splice(0, window.length - 2000);
      if (fit === 120) window = window.slice(-300).map((p) => ({ ...p }));
      const n = window.length - random.int(0, 20);
      expect(fitted.update(window, n, (v) => v)).toBe(true);
      // Slides of 40 to 120 points at a time: the medians are still a selection's.
      const expected = byHand(window, n, (v) => v);
      expect([fitted.median(), fitted.medianDistance(expected.median)]).toEqual([expected.median, expected.distance]);
      if (n >= 16 * 24) expect(fitted.bucketsInOrder).toBe(true);
      if (n < 8 * 24) expect(fitted.bucketsInOrder).toBe(false);
      if (!fitted.bucketsInOrder) continue;
      inOrder++;
      for (let hour = 0; hour < 24; hour++) {
        const byHand = window
          .slice(0, n)
          .filter((p) => hourOfDay(p.time) === hour)
          .map((p) => p.value)
          .sort((a, b) => a - b);
        expect(Array.from(fitted.ascendingIn(hour).subarray(0, fitted.countIn(hour)))).toEqual(byHand);
      }
    }
    expect(inOrder).toBeGreaterThan(100);
  });

  it('says so when a value is not a finite number, and orders the values again once they all are', () => {
    const fitted = new FittedValues(1, () => 0, 10);
    const window = [1, 2, 3, 4, 5].map((value, i) => ({ time: i, value }));
    expect(fitted.update(window, 5, (v) => v)).toBe(true);
    window.push({ time: 5, value: Number.NaN });
    expect(fitted.update(window, 6, (v) => v)).toBe(false);
    window.splice(5, 1);
    window.push({ time: 6, value: 0 });
    expect(fitted.update(window, 6, (v) => v)).toBe(true);
    expect([fitted.median(), fitted.medianDistance(2.5)]).toEqual([2.5, 1.5]);
  });
});
