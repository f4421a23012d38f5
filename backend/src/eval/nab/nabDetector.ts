import { RobustScorer } from '../../analysis/anomaly/scorers';
import { SeriesDetector } from '../../analysis/anomaly/seriesDetector';

/**
 * The collector's detector on a bare series: robust baseline (median and 1.4826 x MAD of the
 * rolling stable window), both directions, the sustained-shift check, judged online. A point's
 * score in [0, 1] grows with how many robust SDs it is out (0 while the detector warms up).
 */
export function scoreSeries(values: readonly number[], times: readonly number[], sensitivity = 4): number[] {
  const spread = Math.max(...values) - Math.min(...values);
  const detector = new SeriesDetector(new RobustScorer({ transform: 'identity', seasonality: 'none', minSigma: Math.max(1e-9, spread * 1e-3) }), {
    sensitivity,
    direction: 'both',
    minHistory: 50,
    windowMs: Number.MAX_SAFE_INTEGER,
    maxWindowPoints: 2000,
    acceptAfterMs: Number.MAX_SAFE_INTEGER,
  });
  return values.map((value, i) => {
    const { judgement } = detector.observe({ time: times[i] ?? i, value });
    return judgement.ready ? 1 - Math.exp(-Math.max(0, judgement.z) / sensitivity) : 0;
  });
}
