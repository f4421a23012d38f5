import { createDetector, type Judging, observeAll, type SeriesId, type SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import { PointList } from '../analysis/anomaly/pointList';
import type { DetectorEvent, DetectorState, Silence } from '../analysis/anomaly/seriesDetector';

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
  /** The silences' from, to and runs before, three numbers each (`packSilences`). */
  silences?: { list: Float64Array; until: number };
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

/** Numbers a silence takes packed: from, to, runs before. */
const SILENCE_FIELDS = 3;

/** Silences as numbers: a first pass over months hands a helper thread hundreds of thousands. */
export function packSilences(list: readonly Silence[]): Float64Array {
  const packed = new Float64Array(SILENCE_FIELDS * list.length);
  list.forEach(({ from, to, runsBefore }, i) => {
    packed[SILENCE_FIELDS * i] = from;
    packed[SILENCE_FIELDS * i + 1] = to;
    packed[SILENCE_FIELDS * i + 2] = runsBefore;
  });
  return packed;
}

export function unpackSilences(packed: Float64Array): Silence[] {
  const list: Silence[] = [];
  for (let at = 0; at < packed.length; at += SILENCE_FIELDS) list.push({ from: packed[at], to: packed[at + 1], runsBefore: packed[at + 2] });
  return list;
}

/**
 * A claim on a part of the series a pass offers to either thread (`DetectionHelper.offer`), in
 * memory both threads share: the thread that claims it first judges the part.
 */
export interface PartClaim {
  claims: Int32Array;
  part: number;
}

const CLAIMANTS = { helper: 1, 'own thread': 2 } as const;

/** Claims the part for a thread; false when the other one claimed it first. */
export const claimPart = ({ claims, part }: PartClaim, by: keyof typeof CLAIMANTS): boolean => Atomics.compareExchange(claims, part, 0, CLAIMANTS[by]) === 0;

/** Series to hand to a worker: their points and silences go as arrays of numbers, not millions of objects. */
export function packSeries(series: readonly SeriesPoints[], resumeFrom: (key: string) => { state?: StoredState; baseline?: unknown }): PackedSeries[] {
  return series.map(({ id, points, silences, newErrors }) => ({
    id,
    points: points.packed,
    rates: points.rates,
    ...(silences ? { silences: { list: packSilences(silences.list), until: silences.until } } : {}),
    ...(newErrors ? { newErrors } : {}),
    ...resumeFrom(id.key),
  }));
}

/** Judges packed series with the collector's detectors, as the scheduler's own thread would. */
export function judgePacked(series: readonly PackedSeries[], judging: Judging): JudgedSeries[] {
  return series.map(({ id, points, rates, silences, newErrors, state, baseline }) => {
    const detector = createDetector(id.metric, judging, detectorState(state), baseline);
    const events = observeAll(
      detector,
      new PointList(points, { rates }),
      silences && { list: unpackSilences(silences.list), until: silences.until },
      newErrors,
    );
    return { key: id.key, events, state: JSON.stringify(detector.currentState), baseline: detector.fittedBaseline };
  });
}

/** The helper thread's side (see `SyncBridge`): judges what a pass hands it. */
export async function createHandler() {
  return {
    /** Judges `series`; none when they are an offered part (`claim`) the pass's own thread took back. */
    async judge(series: PackedSeries[], judging: Judging, claim?: PartClaim): Promise<JudgedSeries[]> {
      return claim && !claimPart(claim, 'helper') ? [] : judgePacked(series, judging);
    },
  };
}
