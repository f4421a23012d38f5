import { RobustScorer } from '../../analysis/anomaly/scorers';
import { SeriesDetector } from '../../analysis/anomaly/seriesDetector';

/** After a detection, a point scores only if it is worse than every one of this many before it: repeats of one event are not news. */
export const REFRACTORY_POINTS = 300;

/**
 * The collector's detector on a bare series, judged online, with the collector's defaults (robust
 * baseline of a rolling 7-day stable window, rarity among the last 1000 points) except where a
 * bare series differs from a run metric: values as they are (no transform, no seasonality), both
 * directions, one point beyond the threshold enough, no sustained-shift check (the rarity of the
 * mean of the last points covers shifts here). Each point's anomaly score is its rarity: how much
 * farther out it is than the series' recent points, so that one threshold fits every series.
 * NAB counts every flagged point outside a window as a false positive, so a point scores only if
 * it is rarer than each of the `REFRACTORY_POINTS` before it.
 */
export function scoreSeries(values: readonly number[], times: readonly number[], sensitivity = 4): number[] {
  const detector = new SeriesDetector(new RobustScorer({ transform: 'identity', seasonality: 'none', minSigma: 1e-9 }), {
    sensitivity,
    direction: 'both',
    minConsecutive: 1,
    shiftWindow: 0,
  });
  const rarities: number[] = [];
  return values.map((value, i) => {
    const { judgement } = detector.observe({ time: times[i] ?? i, value });
    const rarity = judgement.ready ? judgement.rarity : 0;
    const before = rarities.slice(-REFRACTORY_POINTS);
    rarities.push(rarity);
    if (rarities.length > REFRACTORY_POINTS) rarities.shift();
    return before.every((r) => rarity > r) ? rarity : 0;
  });
}
