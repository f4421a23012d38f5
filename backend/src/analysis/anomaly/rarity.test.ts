import { Random } from '../../sim/random';
import { RobustScorer } from './scorers';
import { SeriesDetector } from './seriesDetector';
import { Rarity } from './rarity';
import { createDetector } from './seriesCatalog';

describe('Rarity', () => {
  it('scores a value by the share of the history at or above it', () => {
    const rarity = new Rarity(10, [1, 2, 3, 4]);
    // 3 and 4 are at or above 3: 1 - (2 + 1) / (4 + 1)
    expect(rarity.score(3)).toBeCloseTo(0.4, 12);
    expect(rarity.score(0)).toBeCloseTo(1 - 5 / 5, 12);
  });

  it('scores a record above every other value, by how far it passes the maximum', () => {
    const rarity = new Rarity(10, [1, 2, 3, 4]);
    expect(rarity.score(8)).toBeCloseTo(1 - Math.exp(-1) / 5, 12);
    expect(rarity.score(4.0001)).toBeGreaterThan(rarity.score(4));
    expect(rarity.score(12)).toBeGreaterThan(rarity.score(8));
    expect(rarity.score(12)).toBeLessThan(1);
  });

  it('scores 0 with no history, keeps at most its capacity, oldest out first, in the array it was given', () => {
    const history: number[] = [];
    const rarity = new Rarity(3, history);
    expect(rarity.observe(5)).toBe(0);
    for (const v of [1, 2, 3]) rarity.observe(v);
    expect(history).toEqual([1, 2, 3]);
    expect(rarity.size).toBe(3);
    expect(() => new Rarity(0)).toThrow(RangeError);
  });

  it('gives the same scores as counting the window by hand, as values come and go', () => {
    const random = new Random(11);
    const capacity = 50;
    const rarity = new Rarity(capacity);
    const seen: number[] = [];
    for (let i = 0; i < 500; i++) {
      // Repeated values too, so ties at the boundary count.
      const value = Math.round(random.uniform(0, 20)) / 2;
      const window = seen.slice(-capacity);
      const atOrAbove = window.filter((v) => v >= value).length;
      const max = Math.max(...window);
      const expected =
        window.length === 0
          ? 0
          : atOrAbove > 0
            ? 1 - (atOrAbove + 1) / (window.length + 1)
            : 1 - Math.exp(-(value / Math.max(max, 1e-9) - 1)) / (window.length + 1);
      expect(rarity.observe(value)).toBeCloseTo(expected, 12);
      seen.push(value);
    }
    expect(rarity.values()).toEqual(seen.slice(-capacity));
  });
});

describe('SeriesDetector rarity', () => {
  const series = (seed: number, count: number) => {
    const random = new Random(seed);
    return Array.from({ length: count }, (_, i) => ({ time: i * 60_000, value: 100 + 5 * random.normal() }));
  };
  const detector = () =>
    new SeriesDetector(new RobustScorer({ transform: 'identity', seasonality: 'none', minSigma: 1e-9 }), {
      direction: 'both',
      minConsecutive: 1,
      shiftWindow: 0,
    });

  it('puts a spike above every ordinary point of a noisy series', () => {
    const d = detector();
    const points = series(4, 1500);
    points[1200].value = 160;
    const rarity = points.map((p) => d.observe(p).judgement.rarity);
    expect(rarity[1200]).toBeGreaterThan(0.999);
    expect(Math.max(...rarity.slice(1100, 1200))).toBeLessThan(rarity[1200]);
  });

  it('calibrates per series: a distance that is ordinary on a heavy-tailed series is not rare there', () => {
    const random = new Random(9);
    const d = detector();
    // Mostly flat with frequent large excursions: the robust z of an excursion is huge, yet common.
    const rarity = Array.from(
      { length: 1500 },
      (_, i) => d.observe({ time: i * 60_000, value: i % 20 === 0 ? 100 + random.uniform(40, 60) : 100 + 0.5 * random.normal() }).judgement,
    );
    const excursions = rarity.filter((_, i) => i > 1100 && i % 20 === 0);
    expect(Math.min(...excursions.map((j) => j.z))).toBeGreaterThan(20);
    expect(Math.max(...excursions.map((j) => j.rarity))).toBeLessThan(0.999);
  });

  it('carries its rarity history in the snapshot a detector resumes from', () => {
    const a = detector();
    for (const p of series(5, 600)) a.observe(p);
    const snapshot = JSON.parse(JSON.stringify(a.snapshot()));
    expect(snapshot.rarity.z).toHaveLength(600 - 30);
    const scorer = () => new RobustScorer({ transform: 'identity', seasonality: 'none', minSigma: 1e-9 });
    const resumed = new SeriesDetector(scorer(), a.settings, snapshot);
    const spike = { time: 600 * 60_000, value: 160 };
    expect(resumed.observe(spike).judgement.rarity).toBeGreaterThan(0.999);
    // Without the history a first value has nothing to be rare against.
    const forgetful = new SeriesDetector(scorer(), a.settings, { ...snapshot, rarity: undefined });
    expect(forgetful.observe(spike).judgement.rarity).toBe(0);
  });

  it("is not judged by the collector's detectors, which act on episodes: none kept, and a kept one dropped", () => {
    const a = detector();
    for (const p of series(5, 600)) a.observe(p);
    const kept = JSON.parse(JSON.stringify(a.snapshot()));
    expect(kept.rarity.z.length).toBeGreaterThan(0);
    const collectors = createDetector('run_duration', { sensitivity: 4 }, kept);
    // Judged (a duration from two days of history on): the kept history began at the first point.
    const judged = collectors.observe({ time: 2 * 86_400_000, value: 160 });
    expect(judged.judgement).toMatchObject({ ready: true, rarity: 0 });
    expect(JSON.parse(JSON.stringify(collectors.currentState)).rarity).toBeUndefined();
    const fresh = createDetector('step_duration', { sensitivity: 4 });
    for (const p of series(6, 100)) fresh.observe(p);
    expect(fresh.currentState.rarity).toBeUndefined();
  });
});
