import { type Family, familySubject } from '../analysis/anomaly/latePlan';
import {
  durationSeries,
  FAILURE_WINDOW_RUNS,
  failureSeries,
  floorTo,
  HOST_BUCKET_MS,
  hostSeries,
  hourlySeries,
  robotFailureSeries,
  type RobotRun,
  type SeriesId,
  type SeriesPoints,
  silencesOf,
} from '../analysis/anomaly/seriesCatalog';
import { newErrorsBetween } from '../analysis/anomaly/newErrors';
import type { Execution } from '@rpa-analytics/contract';
import type { HostBuckets, HourlyStarts, RunOutline, StoreReader } from '../store/store';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/**
 * A re-judged series starts this long before its first late point: the collector's default
 * history, so that with the defaults a workflow judged again is judged as a first pass would
 * judge it, and four times a detector's baseline window otherwise. A warm-up of one window left
 * anomalies under way at the late point starting elsewhere (`docs/anomaly-detection.md`).
 */
export const WARMUP_MS = 30 * DAY;
/** ...and at least this many runs before it: a workflow that runs a few times a day needs more than a week to fill a baseline. */
export const WARMUP_RUNS = 60;

/** The fleet's runs that failed or timed out and ended in [from, to), in the order they ended: what its memory of errors reads. */
export const fleetFailures =
  (store: StoreReader) =>
  (from: number, to: number): Execution[] =>
    store.runs({ statuses: ['failed', 'timeout'], by: 'end', from, to });

/** The end of a failed or timed-out run of the fleet that ended before `time`, if one did: the fleet was watched since. */
export const fleetFailedBefore =
  (store: StoreReader) =>
  (time: number): number | undefined =>
    store.runs({ statuses: ['failed', 'timeout'], by: 'end', to: time, last: 1 })[0]?.endedAt;

/**
 * The fleet's runs started in [from, to) (whole hours): how many runs the new errors it met were
 * among. Each hour's count is read once, for the pass that asks: a first pass over months may ask
 * for a week of hours at each of hundreds of new errors.
 */
export function fleetRuns(store: StoreReader): (from: number, to: number) => number {
  const perHour = new Map<number, number>();
  let read: { from: number; to: number } | undefined;
  const load = (from: number, to: number) => {
    if (to <= from) return;
    for (const s of store.hourlyStarts(from, to)) perHour.set(s.hour, (perHour.get(s.hour) ?? 0) + s.runs);
  };
  return (from, to) => {
    // What was read stays one span: a gap between it and what is asked is read too.
    if (!read) load(from, to);
    else {
      load(from, read.from);
      load(read.to, to);
    }
    read = read ? { from: Math.min(read.from, from), to: Math.max(read.to, to) } : { from, to };
    let runs = 0;
    for (let hour = from; hour < to; hour += HOUR) runs += perHour.get(hour) ?? 0;
    return runs;
  };
}

export interface LateSeries {
  /** The families' series, each from its warm-up on. */
  series: SeriesPoints[];
  /** The runs read (their workflows' health is read again). */
  runs: RunOutline[];
}

/** Hosts whose buckets `readHostSeries` reads at once. */
export const HOSTS_PER_READ = 2;

/**
 * The hosts' series (`hostSeries`) over [from, to), those `keep` keeps, in `hostSeries`' order
 * over them all. Read `HOSTS_PER_READ` hosts at a time, each read's series handed on (`hand`) as
 * it comes: a helper thread judges them while the pass's thread reads the rest.
 */
export function readHostSeries(
  store: StoreReader,
  { from, to }: { from: number; to: number },
  keep: (id: SeriesId) => boolean,
  hand: (series: SeriesPoints[]) => void,
): SeriesPoints[] {
  const names = store.names('hosts');
  const firstBucket = new Map<string, number>();
  const read: SeriesPoints[] = [];
  for (let at = 0; at < names.length; at += HOSTS_PER_READ) {
    const buckets = store.hostBuckets(from, to, HOST_BUCKET_MS, names.slice(at, at + HOSTS_PER_READ));
    for (const { host, times } of buckets) firstBucket.set(host, times[0]);
    const series = hostSeries(buckets).filter((s) => keep(s.id));
    hand(series);
    read.push(...series);
  }
  // Hosts by their first bucket; where those tie, and a host's series, as they were read (by name: the sort is stable).
  return read.sort((a, b) => firstBucket.get(a.id.host!)! - firstBucket.get(b.id.host!)!);
}

/**
 * For each workflow, the runs that ended just before `starts` gives for it: the failure window
 * at its first point reaches back over them.
 */
export function runsBeforeWindow(store: StoreReader, starts: ReadonlyMap<string, number>): Map<string, Execution[]> {
  return new Map(
    [...starts].map(([workflow, before]) => [workflow, store.runs({ workflows: [workflow], by: 'end', to: before, last: FAILURE_WINDOW_RUNS - 1 })]),
  );
}

/**
 * The series of families that data arrived late for, read again from the store from a warm-up
 * before their first late point up to where online judging stands (`to`), never from before
 * `historyFrom` (where a first pass starts).
 */
export function readLateSeries(
  store: StoreReader,
  late: ReadonlyMap<Family, number>,
  to: { runs: number; hours: number; hosts: number },
  historyFrom: number,
): LateSeries {
  const workflowStarts = new Map<string, number>();
  const robotStarts = new Map<string, number>();
  const hostStarts = new Map<string, number>();
  for (const [family, from] of late) {
    const { workflow, robot, host } = familySubject(family);
    if (workflow !== undefined) {
      const before = store.runs({ workflows: [workflow], by: 'end', to: from, last: WARMUP_RUNS });
      workflowStarts.set(workflow, Math.max(historyFrom, Math.min(from - WARMUP_MS, before[0]?.endedAt ?? from)));
    } else if (robot !== undefined) {
      const before = store.runs({ robots: [robot], by: 'end', to: from, last: WARMUP_RUNS });
      robotStarts.set(robot, Math.max(historyFrom, Math.min(from - WARMUP_MS, before[0]?.endedAt ?? from)));
    } else hostStarts.set(host!, Math.max(historyFrom, floorTo(from - WARMUP_MS, HOST_BUCKET_MS)));
  }
  const series: SeriesPoints[] = [];
  let runs: RunOutline[] = [];
  // Robots are judged against their peers on the workflows they ran, from a day before their start
  // (the windows their first points look back over). Those workflows' runs are read with the late
  // workflows' in one read: a backfill, which re-judges every workflow and robot, reads runs once.
  const robotsFrom = robotStarts.size > 0 ? Math.min(...robotStarts.values()) - DAY : Infinity;
  const robotWorkflows = new Set<string>();
  for (const robot of robotStarts.keys())
    for (const run of store.runs({ robots: [robot], by: 'end', from: robotsFrom, to: Math.max(robotsFrom, to.runs) })) robotWorkflows.add(run.workflow);
  const peersOnly = [...robotWorkflows].filter((w) => !workflowStarts.has(w));
  let read: RunOutline[] = [];
  if (workflowStarts.size > 0) {
    const workflows = [...workflowStarts.keys()];
    const earliest = Math.min(...workflowStarts.values());
    const from = Math.min(earliest, robotsFrom);
    read = store.runOutlines({ by: 'end', from, to: Math.max(from, to.runs), workflows: [...workflows, ...peersOnly] });
    runs = read.filter((r) => r.endedAt! >= (workflowStarts.get(r.workflow) ?? Infinity));
    // Their failures on errors new to the fleet, judged by a memory of the fleet's errors before them.
    const { judged } = newErrorsBetween(earliest, Math.max(earliest, to.runs), fleetFailures(store), fleetRuns(store), fleetFailedBefore(store));
    series.push(...durationSeries(runs), ...failureSeries(runs, runsBeforeWindow(store, workflowStarts), judged));
    const hoursFrom = floorTo(earliest, HOUR);
    const starts = new Map<string, HourlyStarts[]>(workflows.map((w) => [w, []]));
    if (to.hours > hoursFrom) for (const s of store.hourlyStarts(hoursFrom, to.hours)) starts.get(s.workflow)?.push(s);
    // Judged again from nothing: each starts at its first run.
    const silences = { silences: silencesOf(read, -Infinity), until: to.runs };
    for (const workflow of workflows)
      series.push(...hourlySeries(starts.get(workflow)!, [workflow], workflowStarts.get(workflow)!, to.hours, () => true, silences));
  }
  if (robotStarts.size > 0) {
    // Without late workflows, the runs of the robots' workflows alone (their steps are not needed).
    const robotRuns: RobotRun[] =
      workflowStarts.size > 0
        ? read.filter((r) => r.endedAt! >= robotsFrom && robotWorkflows.has(r.workflow))
        : peersOnly.length
          ? store.runs({ workflows: peersOnly, by: 'end', from: robotsFrom, to: Math.max(robotsFrom, to.runs) })
          : [];
    series.push(...robotFailureSeries(robotRuns, (robot) => robotStarts.get(robot)));
  }
  if (hostStarts.size > 0) {
    const earliest = Math.min(...hostStarts.values());
    const buckets = to.hosts > earliest ? store.hostBuckets(earliest, to.hosts, HOST_BUCKET_MS) : [];
    const kept: HostBuckets[] = [];
    for (const b of buckets) {
      const from = hostStarts.get(b.host);
      if (from === undefined) continue;
      const first = b.times.findIndex((t) => t >= from);
      if (first < 0) continue;
      const slice = <T>(values: T[]) => values.slice(first);
      kept.push({
        host: b.host,
        times: slice(b.times),
        samples: slice(b.samples),
        cpuPercent: slice(b.cpuPercent),
        memoryPercent: slice(b.memoryPercent),
        diskSamples: slice(b.diskSamples),
        diskPercent: slice(b.diskPercent),
      });
    }
    series.push(...hostSeries(kept));
  }
  return { series, runs };
}
