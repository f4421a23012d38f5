import { RobustScorer } from '../../analysis/anomaly/scorers';
import { SeriesDetector } from '../../analysis/anomaly/seriesDetector';

/**
 * The collector's detector on a bare series: robust baseline (median and 1.4826 x MAD of the
 * rolling stable window), both directions, the sustained-shift check, judged online. A point
 * scores where an anomaly opens (more the further out it is), 0 elsewhere.
 */
export function scoreSeries(values: readonly number[], times: readonly number[], sensitivity = 4): number[] {
  const spread = Math.max(...values) - Math.min(...values);
  // The collector's defaults (7-day rolling window, a shift lasting a day becomes the new normal),
  // in both directions: a NAB series may break down as well as up.
  const detector = new SeriesDetector(new RobustScorer({ transform: 'identity', seasonality: 'hourOfDay', minSigma: Math.max(1e-9, spread * 0.01) }), {
    sensitivity,
    direction: 'both',
  });
  // What the collector reports: an anomaly opening. Its score grows with how far out it is.
  return values.map((value, i) => {
    const { events } = detector.observe({ time: times[i] ?? i, value });
    const opened = events.find((e) => e.type === 'opened');
    return opened ? 0.5 + 0.5 * (1 - Math.exp(-opened.episode.peakScore / sensitivity / 4)) : 0;
  });
}
