import { createDetector, type SeriesId, type SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import type { Point } from '../analysis/anomaly/scorers';
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

/** Packs series to hand to a worker without copying millions of point objects. */
export function packSeries(series: readonly SeriesPoints[], stateOf: (key: string) => DetectorState | undefined): PackedSeries[] {
  return series.map(({ id, points }) => {
    const packed = new Float64Array(points.length * 3);
    points.forEach((p, i) => {
      packed[3 * i] = p.time;
      packed[3 * i + 1] = p.value;
      packed[3 * i + 2] = p.trials ?? Number.NaN;
    });
    return { id, points: packed, state: stateOf(id.key) };
  });
}

/** Judges packed series with the collector's detectors, as the scheduler's own thread would. */
export function judgePacked(series: readonly PackedSeries[], sensitivity: number): JudgedSeries[] {
  return series.map(({ id, points, state }) => {
    const detector = createDetector(id.metric, sensitivity, state);
    const events: DetectorEvent[] = [];
    for (let i = 0; i < points.length; i += 3) {
      const point: Point = { time: points[i], value: points[i + 1] };
      if (!Number.isNaN(points[i + 2])) point.trials = points[i + 2];
      for (const event of detector.observe(point).events) events.push(event);
    }
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
