import { createDetector, type SeriesId, type SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import { PointList } from '../analysis/anomaly/pointList';
import type { DetectorEvent, DetectorState } from '../analysis/anomaly/seriesDetector';

/** A series for another thread to judge: its points as (time, value, trials) triples, NaN for no trials. */
export interface PackedSeries {
  id: SeriesId;
  points: Float64Array;
  state?: DetectorState;
}

/** What judging a series gave: its detector's events, in order, and the state it ended in. */
export interface JudgedSeries {
  key: string;
  events: DetectorEvent[];
  state: DetectorState;
}

/** Series to hand to a worker: their points go as arrays of numbers, not millions of objects. */
export function packSeries(series: readonly SeriesPoints[], stateOf: (key: string) => DetectorState | undefined): PackedSeries[] {
  return series.map(({ id, points }) => ({ id, points: points.packed, state: stateOf(id.key) }));
}

/** Judges packed series with the collector's detectors, as the scheduler's own thread would. */
export function judgePacked(series: readonly PackedSeries[], sensitivity: number): JudgedSeries[] {
  return series.map(({ id, points, state }) => {
    const detector = createDetector(id.metric, sensitivity, state);
    const list = new PointList(points);
    const events: DetectorEvent[] = [];
    for (let i = 0; i < list.length; i++) for (const event of detector.observe(list.at(i)).events) events.push(event);
    return { key: id.key, events, state: detector.currentState };
  });
}

/** The helper thread's side (see `SyncBridge`): judges what a pass hands it. */
export async function createHandler() {
  return {
    async judge(series: PackedSeries[], sensitivity: number): Promise<JudgedSeries[]> {
      return judgePacked(series, sensitivity);
    },
  };
}
