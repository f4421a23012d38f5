import { Random } from '../../sim/random';
import { DEFAULT_NAB_SETTINGS, RARITY_WARM_UP_POINTS, scoreSeries } from './nabDetector';

const REFRACTORY_POINTS = DEFAULT_NAB_SETTINGS.refractoryPoints;

describe('the NAB harness of the detector', () => {
  const noisy = (count: number, seed = 3) => {
    const random = new Random(seed);
    return Array.from({ length: count }, () => 50 + 2 * random.normal());
  };
  const times = (count: number) => Array.from({ length: count }, (_, i) => i * 300_000);

  it('gives a spike the highest score of the series, in [0, 1]', () => {
    const values = noisy(2000);
    values[1500] = 80;
    const scores = scoreSeries(values, times(values.length));
    expect(scores.every((s) => s >= 0 && s < 1)).toBe(true);
    expect(scores.indexOf(Math.max(...scores))).toBe(1500);
    expect(scores[1500]).toBeGreaterThan(0.999);
  });

  it('scores nothing until a baseline has judged its warm-up: a spike among its first points is no calibrated record', () => {
    // The hour-of-day baseline judges from its 30th point; its 200th judged point is inside the
    // warm-up, its 700th past it. The first spike is judged (it joins the history) but not scored:
    // the second scores as a record twice as far out.
    const values = noisy(1500);
    values[230] = 80;
    values[730] = 110;
    const scores = scoreSeries(values, times(values.length));
    expect(scores.slice(0, 30 + RARITY_WARM_UP_POINTS)).toEqual(new Array(30 + RARITY_WARM_UP_POINTS).fill(0));
    expect(scores[730]).toBeGreaterThan(0.999);
  });

  it('judges online: a later point never changes an earlier score', () => {
    const values = noisy(1500);
    const head = scoreSeries(values.slice(0, 1000), times(1000));
    values[1200] = 90;
    expect(scoreSeries(values, times(values.length)).slice(0, 1000)).toEqual(head);
  });

  it('after a spike, repeats within the quiet period score 0; past it, a new spike scores again', () => {
    const values = noisy(2500);
    values[1500] = 90;
    values[1500 + REFRACTORY_POINTS / 2] = 85;
    values[1500 + REFRACTORY_POINTS + 100] = 120;
    const scores = scoreSeries(values, times(values.length));
    expect(scores[1500]).toBeGreaterThan(0.999);
    expect(scores[1500 + REFRACTORY_POINTS / 2]).toBe(0);
    expect(scores[1500 + REFRACTORY_POINTS + 100]).toBeGreaterThan(0.999);
  });

  it('within the reach of the mean z after a scored point, a burst that goes on scores no more; a point twice as rare does', () => {
    // Six points 5 SDs out: the first scores; as the burst goes on, the mean of the last 5 points'
    // z climbs, and the third was rarer than the first (0.99936 against 0.99928).
    const values = noisy(2000);
    for (let k = 0; k < 6; k++) values[1500 + k] = 60;
    // Past the refractory points, the same burst begins, and its second point is far beyond it.
    values[1900] = 61;
    values[1901] = 250;
    const scores = scoreSeries(values, times(values.length));
    expect(scores[1500]).toBeGreaterThan(0.999);
    expect(scores.slice(1501, 1506)).toEqual([0, 0, 0, 0, 0]);
    expect(scores[1900]).toBeGreaterThan(0.999);
    expect(1 - scores[1901]).toBeLessThan((1 - scores[1900]) / 2);
  });

  it.each([
    [4, 'scores nothing (within the reach of its mean z)', false],
    [5, 'scores (past it)', true],
  ])('a point %i after a scored one, rarer than it but not twice as rare, %s', (after, _what, scores_) => {
    const values = noisy(2000);
    values[1500] = 60;
    values[1500 + after] = 65;
    const scores = scoreSeries(values, times(values.length));
    expect(scores[1500]).toBeGreaterThan(0.999);
    const tail = (i: number) => 1 - scores[i];
    if (scores_) expect([tail(1500 + after) < tail(1500), tail(1500 + after) > tail(1500) / 2]).toEqual([true, true]);
    else expect(scores[1500 + after]).toBe(0);
  });

  it('finds a daily pattern gone flat that a baseline per hour of the day blurs: through the same time on the days before', () => {
    // Ten days of 5-minute points, 20 at night and 80 from 08:10 to 17:50, with noise; on day 8
    // the pattern flattens to 50 from 06:00 on. Per hour of the day, 08:00-08:59 and 17:00-17:59
    // mix both levels: their points are 60 robust SDs out every day, and the flat day is half as far.
    const random = new Random(4);
    const values = Array.from({ length: 10 * 288 }, (_, k) => {
      const i = k % 288;
      const flat = k >= 8 * 288 + 72 && k < 9 * 288;
      return (flat ? 50 : i >= 98 && i < 214 ? 80 : 20) + random.normal();
    });
    const scores = scoreSeries(values, times(values.length)).slice(3 * 288);
    const best = 3 * 288 + scores.indexOf(Math.max(...scores));
    // Its first point is the series' rarest since the third day: farther out than any before it.
    expect(best).toBe(8 * 288 + 72);
    expect(scores[best - 3 * 288]).toBeGreaterThan(0.9999);
  });
});
