import { createDetector, type Judging, observeAll, type SeriesId, type SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import { PointList } from '../analysis/anomaly/pointList';
import type { DetectorEvent, DetectorState } from '../analysis/anomaly/seriesDetector';

/** A detector's state, or its JSON (a state a helper thread left, kept as it came). */
export type StoredState = DetectorState | string;

/** The state in `stored`, parsed if it is JSON. */
export function detectorState(stored: StoredState | undefined): DetectorState | undefined {
  return typeof stored === 'string' ? (JSON.parse(stored) as DetectorState) : stored;
}

/** A series for another thread to judge: its points packed as `PointList.packed` gives them. */
export interface PackedSeries {
  id: SeriesId;
  points: Float64Array;
  /** Whether the points are a rate's (`PointList` made for `rates`). */
  rates: boolean;
  silences?: SeriesPoints['silences'];
  newErrors?: SeriesPoints['newErrors'];
  state?: StoredState;
  baseline?: unknown;
}

/**
 * What judging a series gave: its detector's events, in order, the state it ended in (as JSON:
 * thousands of windows of points cross back as one string each, and are stored as they are) and
 * its baseline.
 */
export interface JudgedSeries {
  key: string;
  events: DetectorEvent[];
  state: string;
  baseline: unknown;
}

/** Series to hand to a worker: their points go as arrays of numbers, not millions of objects. */
export function packSeries(series: readonly SeriesPoints[], resumeFrom: (key: string) => { state?: StoredState; baseline?: unknown }): PackedSeries[] {
  return series.map(({ id, points, silences, newErrors }) => ({
    id,
    points: points.packed,
    rates: points.rates,
    ...(silences ? { silences } : {}),
    ...(newErrors ? { newErrors } : {}),
    ...resumeFrom(id.key),
  }));
}

/** Judges packed series with the collector's detectors, as the scheduler's own thread would. */
export function judgePacked(series: readonly PackedSeries[], judging: Judging): JudgedSeries[] {
  return series.map(({ id, points, rates, silences, newErrors, state, baseline }) => {
    const detector = createDetector(id.metric, judging, detectorState(state), baseline);
    const events = observeAll(detector, new PointList(points, { rates }), silences, newErrors);
    return { key: id.key, events, state: JSON.stringify(detector.currentState), baseline: detector.fittedBaseline };
  });
}

/** The helper thread's side (see `SyncBridge`): judges what a pass hands it. */
export async function createHandler() {
  return {
    async judge(series: PackedSeries[], judging: Judging): Promise<JudgedSeries[]> {
      return judgePacked(series, judging);
    },
  };
}
