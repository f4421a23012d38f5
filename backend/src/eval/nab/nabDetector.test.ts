import { Random } from '../../sim/random';
import { DEFAULT_NAB_SETTINGS, scoreSeries } from './nabDetector';

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
});
