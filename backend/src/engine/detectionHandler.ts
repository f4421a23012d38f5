import { createDetector, HOST_BUCKET_MS, hostSeries, type Judging, observeAll, type SeriesId, type SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import { PointList } from '../analysis/anomaly/pointList';
import type { DetectorEvent, DetectorState } from '../analysis/anomaly/seriesDetector';
import { openStore, type StoreLocation } from '../store/location';
import type { RunReader } from '../store/store';

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

/**
 * The hosts' series a helper thread reads and judges itself, from its own connection to the
 * store, while the pass's thread reads the runs: the samples' buckets in [from, to).
 */
export interface HostRead {
  location: StoreLocation;
  from: number;
  to: number;
  /** Hosts whose series this pass does not judge (data arrived late for them: judged again apart). */
  skipHosts: string[];
  /** Where each host series' detector resumes from, by key (none: from nothing). */
  resume: Array<[key: string, from: { state?: StoredState; baseline?: unknown }]>;
}

/** What a helper thread judged of the hosts: each series it read, with its number of points, in `hostSeries` order, and its judgement. */
export interface JudgedHosts {
  series: Array<{ id: SeriesId; points: number }>;
  judged: JudgedSeries[];
}

/** The host series of `read` from `store` (the helper's own, or the pass's when the helper failed). */
export function readHostSeries(store: Pick<RunReader, 'hostBuckets'>, read: Omit<HostRead, 'location' | 'resume'>): SeriesPoints[] {
  const skip = new Set(read.skipHosts);
  return hostSeries(store.hostBuckets(read.from, read.to, HOST_BUCKET_MS)).filter((s) => !skip.has(s.id.host!));
}

/** The helper thread's side (see `SyncBridge`): judges what a pass hands it, and the hosts it reads itself. */
export async function createHandler() {
  return {
    async judge(series: PackedSeries[], judging: Judging): Promise<JudgedSeries[]> {
      return judgePacked(series, judging);
    },

    async judgeHosts(read: HostRead, judging: Judging): Promise<JudgedHosts> {
      const store = openStore(read.location, { readonly: true });
      try {
        const series = readHostSeries(store, read);
        const resume = new Map(read.resume);
        return {
          series: series.map(({ id, points }) => ({ id, points: points.length })),
          judged: judgePacked(
            packSeries(series, (key) => resume.get(key) ?? {}),
            judging,
          ),
        };
      } finally {
        store.close();
      }
    },
  };
}
