import { RobustScorer, SameTimeScorer, type Scorer } from '../../analysis/anomaly/scorers';
import { SeriesDetector } from '../../analysis/anomaly/seriesDetector';

/** The free parameters of the detector on a bare series. */
export interface NabSettings {
  /** The detector's threshold in robust SDs (the collector's `RPA_SENSITIVITY`). */
  sensitivity: number;
  /** After a detection, a point scores only if it is worse than every one of this many before it: repeats of one event are not news. */
  refractoryPoints: number;
  /** How many earlier points a point's rarity is judged among. */
  rarityPoints: number;
  /** The rarity of the mean z of this many latest points counts too (a shift no single point shows). */
  rarityMeanPoints: number;
}

/**
 * Points a detector has judged before its rarity counts: a "record" among a few dozen values is
 * no calibrated 1 in 1000. As HTM's anomaly likelihood in NAB waits its learning period and
 * estimation samples (288 + 100 points) before it scores; a fixed warm-up, not a candidate.
 */
export const RARITY_WARM_UP_POINTS = 400;

/** The settings `npm run eval:nab` scores with, and the collector's where they share one. */
export const DEFAULT_NAB_SETTINGS: NabSettings = { sensitivity: 4, refractoryPoints: 300, rarityPoints: 1000, rarityMeanPoints: 5 };

/**
 * The settings the leave-one-category-out mode chooses among on the categories it tunes on: the
 * two that decide what counts as news on a bare series (how long after a detection repeats are
 * quiet, and over how many points a shift is averaged), three values each about the defaults;
 * the defaults first.
 */
export const NAB_CANDIDATES: readonly NabSettings[] = [
  DEFAULT_NAB_SETTINGS,
  ...[100, 300, 1000]
    .flatMap((refractoryPoints) => [1, 5, 20].map((rarityMeanPoints) => ({ ...DEFAULT_NAB_SETTINGS, refractoryPoints, rarityMeanPoints })))
    .filter((c) => c.refractoryPoints !== DEFAULT_NAB_SETTINGS.refractoryPoints || c.rarityMeanPoints !== DEFAULT_NAB_SETTINGS.rarityMeanPoints),
];

/**
 * The collector's detector on a bare series, judged online, with the collector's defaults (robust
 * baseline of a rolling 7-day stable window, rarity among the last 1000 points) except where a
 * bare series differs from a run metric: values as they are (no transform), both directions, one
 * point beyond the threshold enough, no sustained-shift check (the rarity of the mean of the last
 * points covers shifts here). Two baselines judge each point, each by a detector of its own:
 * - per hour of the day, as the collector's host series (its durations split weekdays from
 *   weekends too, which a NAB file's two weeks barely fill);
 * - the same time of day on the 7 days before, within the window (`SameTimeScorer`): a regular
 *   series' daily pattern at its own resolution, which an hour's bucket blurs.
 * Each point's anomaly score is the larger of its two rarities: how much farther out it is than
 * the series' recent points under that baseline, so that one threshold fits every series and
 * both baselines; a detector's counts once it has judged `RARITY_WARM_UP_POINTS` points. NAB
 * counts every flagged point outside a window as a false positive, so a point scores only if it
 * is rarer than each of the `refractoryPoints` before it, and, within `rarityMeanPoints` of the
 * last that scored (whose z their mean holds), twice as rare as it.
 */
export function scoreSeries(values: readonly number[], times: readonly number[], settings: Partial<NabSettings> = {}): number[] {
  const { sensitivity, refractoryPoints, rarityPoints, rarityMeanPoints } = { ...DEFAULT_NAB_SETTINGS, ...settings };
  const detector = (scorer: Scorer, threshold: number) =>
    new SeriesDetector(scorer, { sensitivity: threshold, direction: 'both', minConsecutive: 1, shiftWindow: 0, rarityPoints, rarityMeanPoints });
  const detectors = [
    detector(new RobustScorer({ transform: 'identity', seasonality: 'hourOfDay', minSigma: 1e-9 }), sensitivity),
    // Every point joins this one's window: a point kept out would leave its time of day without its
    // value on the days after, and a shift accepted as normal would restart the window without
    // the earlier days it needs. Its medians and spread are robust to the anomalies in it.
    detector(new SameTimeScorer({ days: 7, minDays: 2, minResiduals: 30, minSigma: 1e-9 }), Infinity),
  ];
  const judged = detectors.map(() => 0);
  const rarities: number[] = [];
  let lastScored = { at: -Infinity, rarity: 0 };
  return values.map((value, i) => {
    let rarity = 0;
    detectors.forEach((d, k) => {
      const { judgement } = d.observe({ time: times[i] ?? i, value });
      if (judgement.ready && ++judged[k] > RARITY_WARM_UP_POINTS) rarity = Math.max(rarity, judgement.rarity);
    });
    const before = rarities.slice(-refractoryPoints);
    rarities.push(rarity);
    if (rarities.length > refractoryPoints) rarities.shift();
    if (!before.every((r) => rarity > r)) return 0;
    // The next points' mean z holds a scored point's own: within its reach they are news only
    // when twice as rare (half the tail, 1 - rarity), not when a burst merely goes on climbing.
    if (i - lastScored.at < rarityMeanPoints && 1 - rarity > (1 - lastScored.rarity) / 2) return 0;
    lastScored = { at: i, rarity };
    return rarity;
  });
}
