import { RobustScorer } from '../../analysis/anomaly/scorers';
import { SeriesDetector } from '../../analysis/anomaly/seriesDetector';

/** After an alert, this many points pass before the next one: repeats of one event are not news. */
export const REFRACTORY_POINTS = 300;

/**
 * The collector's detector on a bare series, judged online: robust baseline (median and
 * 1.4826 x MAD of the rolling stable window, 30 days here, as NAB's series span weeks), both
 * directions, a single point beyond the threshold enough (NAB rewards the earliest detection).
 * A point beyond the threshold scores by how far out it is, and then the detector stays quiet for
 * `REFRACTORY_POINTS`; other points score half as much, so one threshold sweep sees both.
 */
export function scoreSeries(values: readonly number[], times: readonly number[], sensitivity = 4): number[] {
  const detector = new SeriesDetector(new RobustScorer({ transform: 'identity', seasonality: 'none', minSigma: 1e-9 }), {
    sensitivity,
    direction: 'both',
    minConsecutive: 1,
    windowMs: 30 * 86_400_000,
    // The sustained-shift check finds slow drifts of run times; on NAB's series it only adds false alarms.
    shiftWindow: 0,
  });
  let quiet = 0;
  return values.map((value, i) => {
    const { judgement } = detector.observe({ time: times[i] ?? i, value });
    if (!judgement.ready) return 0;
    const score = 1 - Math.exp(-judgement.z / (2 * sensitivity));
    if (quiet > 0) {
      quiet--;
      return 0;
    }
    if (judgement.exceeds) {
      quiet = REFRACTORY_POINTS;
      return score;
    }
    return score / 2;
  });
}
