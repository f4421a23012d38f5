import type { AnomalyMetric } from '@rpa-analytics/contract';
import type { Execution } from '@rpa-analytics/contract';
import type { HostBuckets, HourlyStarts, RunOutline } from '../../store/store';
import { countBy } from '../../domain/collections';
import { isTimedRun } from '../performance';
import { localClock, type LocalClock } from '../localClock';
import { failureKey, type NewError } from './newErrors';
import { PointList } from './pointList';
import { BinomialScorer, RobustScorer, type Scorer } from './scorers';
import { type DetectorEvent, type DetectorSettings, SeriesDetector, type DetectorState, MIN_SILENCE_MS, type Silence } from './seriesDetector';

/** One series the fleet is watched on, with its place in the fleet. */
export interface SeriesId {
  key: string;
  metric: AnomalyMetric;
  workflow?: string;
  step?: string;
  host?: string;
  /** A robot's own series (its failures while its peers ran fine), across the workflows it runs. */
  robot?: string;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Host resources are judged on 5-minute means: a second-long peak is not saturation. */
export const HOST_BUCKET_MS = 5 * 60_000;

/** The start of the `unit`-long slot (an hour, a host bucket) that `time` falls in. */
export const floorTo = (time: number, unit: number): number => Math.floor(time / unit) * unit;

/** `metric|workflow|step|host`, then `|robot` for a robot's series (keys stored before robots had series stay as they were). */
export function seriesKey(id: Omit<SeriesId, 'key'>): string {
  return [id.metric, id.workflow ?? '', id.step ?? '', id.host ?? '', ...(id.robot ? [id.robot] : [])].join('|');
}

/** The key of a robot's own failure-rate series. */
export const robotSeriesKey = (robot: string): string => seriesKey({ metric: 'failure_rate', robot });

export function parseSeriesKey(key: string): SeriesId {
  const [metric, workflow, step, host, robot] = key.split('|');
  const id: SeriesId = { key, metric: metric as AnomalyMetric };
  if (workflow) id.workflow = workflow;
  if (step) id.step = step;
  if (host) id.host = host;
  if (robot) id.robot = robot;
  return id;
}

/**
 * How each metric is judged: its scorer, the detector settings that differ from the defaults, and
 * its threshold against the configured sensitivity.
 */
function design(metric: AnomalyMetric, clock: LocalClock): { scorer: () => Scorer; settings: Partial<DetectorSettings>; thresholdFactor?: number } {
  switch (metric) {
    case 'run_duration':
    case 'step_duration':
      return {
        scorer: () => new RobustScorer({ transform: 'log', seasonality: 'hourOfDayByWeekpart', minSigma: 0.03, clock }),
        // Per hour of the day, on weekdays and at weekends apart: a fleet runs faster at weekends,
        // and a weekend's hours must not teach Monday's that it is slow.
        // A duration is timed from the start of its run or step, and known when it ends.
        // Judged from two days of history on: a first day's baseline takes the next morning's
        // load, or a weekend's the Monday's, for a slowdown.
        settings: { direction: 'high', minHistoryMs: 2 * DAY, evidenceEnd: (point) => point.time + point.value },
      };
    case 'failure_rate':
      // A point's window already holds the runs before it: one point beyond the threshold opens.
      // Its tail is exact: 3 SDs beyond the threshold (a 1-in-10^10 run of failures) is severity 1.
      // An exact tail, already corrected for the windows scanned, needs less margin than robust
      // SDs of heavy-tailed durations: 3.5 at the default 4 (four failures in a row at a 5% rate
      // open; three do not). At 3 the simulator's clean control workflows raised alarms.
      return {
        thresholdFactor: 0.875,
        scorer: () => new BinomialScorer(),
        // Severe too when most of the recent runs fail beyond the usual rate, however few tell it.
        settings: {
          direction: 'high',
          minHistory: 30,
          minConsecutive: 1,
          closeAfterNormal: FAILURE_WINDOW_RUNS,
          // Failures do not drift overnight: a burst a day after an expired licence on the same
          // workflow is another problem (it was booked as the licence come back). Within two hours,
          // failures that flap about the threshold are one.
          rejoinMs: 2 * HOUR,
          shiftWindow: 0,
          severitySpan: 3,
          effectSeverity: (seen, expected) => (seen.trials ? seen.value / seen.trials - expected : 0),
        },
      };
    case 'volume':
      return {
        scorer: () => new RobustScorer({ transform: 'sqrt', seasonality: 'hourOfWeek', minBucketPoints: 1, minSigma: 0.5, sameHourFallback: true, clock }),
        settings: { direction: 'low', minHistory: 48, closeAfterNormal: 2, evidenceEnd: (point) => point.time + HOUR },
      };
    case 'host_cpu':
    case 'host_memory':
    case 'host_disk': {
      // A busy robot host is normal; only sustained use near the limit is an anomaly, or memory or
      // disk space climbing steadily toward it (a leak, logs or screenshots piling up): full within
      // 6 hours at its pace of the last 2 hours.
      return {
        scorer: () => new RobustScorer({ transform: 'identity', seasonality: 'hourOfDay', minSigma: 3, clock }),
        settings: {
          direction: 'high',
          minConsecutive: 3,
          extremeFactor: Infinity,
          closeAfterNormal: 3,
          floor: 80,
          shiftWindow: 0,
          evidenceEnd: (point) => point.time + HOST_BUCKET_MS,
          ...(metric !== 'host_cpu' ? { forecast: { limit: 100, horizonMs: 6 * HOUR, points: 24, minValue: 50 } } : {}),
        },
      };
    }
  }
}

/** How the collector judges every series: its threshold and the fleet's clock. */
export interface Judging {
  /** The threshold in robust standard deviations (`RPA_SENSITIVITY`). */
  sensitivity: number;
  /** The fleet's time zone, whose hours and weekends seasonal baselines keep (`RPA_TIME_ZONE`; default UTC). */
  timeZone?: string;
}

/**
 * The collector's detector of a metric. It acts on the episodes it opens and closes; how rare
 * each point is (`Judgement.rarity`, a per-point score for scoring benchmarks) is not judged:
 * it was a fifth of a pass's time and most of each detector's stored state.
 */
export function createDetector(metric: AnomalyMetric, { sensitivity, timeZone }: Judging, state?: DetectorState, baseline?: unknown): SeriesDetector {
  const { scorer, settings, thresholdFactor } = design(metric, localClock(timeZone));
  return new SeriesDetector(scorer(), { rarityPoints: 0, ...settings, sensitivity: sensitivity * (thresholdFactor ?? 1) }, state, baseline);
}

export interface SeriesPoints {
  id: SeriesId;
  points: PointList;
  /**
   * For runs per hour: the workflow's silences (`workflowSilences`) that may be told within an
   * hour, and the time the data reaches (`until`: the hour after the last point, up to it, is
   * watched for them too).
   */
  silences?: { list: Silence[]; until: number };
  /** For a workflow's failure rate: its failures on errors new to the fleet (`NewError`), by the index of their points. */
  newErrors?: Map<number, NewError>;
}

/**
 * Has `detector` judge each of `points` in order: the events it reported, in order. Runs per hour
 * are watched for `silences` within each hour before it is judged, and within the hour after the
 * last one up to `silences.until`; a failure on a new error (`newErrors`) goes with its point.
 */
export function observeAll(
  detector: SeriesDetector,
  points: PointList,
  silences?: SeriesPoints['silences'],
  newErrors?: SeriesPoints['newErrors'],
): DetectorEvent[] {
  const events: DetectorEvent[] = [];
  if (!silences) {
    for (let i = 0; i < points.length; i++) detector.observeInto(points.at(i), events, newErrors?.get(i));
    return events;
  }
  let next = 0;
  const { list, until } = silences;
  const watch = (hour: number) => {
    // Those that ended before the hour are past; one that would be told is told once.
    while (next < list.length && list[next].to < hour) next++;
    for (let i = next; i < list.length && list[i].from < hour + HOUR; i++) {
      const event = detector.silence(hour, list[i], until);
      if (event) {
        events.push(event);
        return;
      }
    }
  };
  for (let i = 0; i < points.length; i++) {
    const point = points.at(i);
    watch(point.time);
    detector.observeInto(point, events, newErrors?.get(i));
  }
  watch(Math.floor(until / HOUR) * HOUR);
  return events;
}

/**
 * A workflow's silences among the ends of its runs (`ends`, in order): each stretch of at least
 * `MIN_SILENCE_MS` without a run ending, the last one open (`to` Infinity) when no run ended after
 * it. Those starting before `from` are left out.
 */
export function workflowSilences(ends: readonly number[], from = -Infinity): Silence[] {
  const out: Silence[] = [];
  let hourBefore = 0;
  for (let i = 0; i < ends.length; i++) {
    while (ends[hourBefore] <= ends[i] - HOUR) hourBefore++;
    const to = i + 1 < ends.length ? ends[i + 1] : Infinity;
    if (ends[i] >= from && to - ends[i] >= MIN_SILENCE_MS) out.push({ from: ends[i], to, runsBefore: i + 1 - hourBefore });
  }
  return out;
}

/** Each workflow's silences (`workflowSilences`) among the ends of `runs`, those from `from` on. */
export function silencesOf(runs: ReadonlyArray<Pick<RunOutline, 'workflow' | 'endedAt'>>, from: number): Map<string, Silence[]> {
  const ends = new Map<string, number[]>();
  for (const { workflow, endedAt } of runs) {
    if (endedAt === undefined) continue;
    const list = ends.get(workflow);
    if (list) list.push(endedAt);
    else ends.set(workflow, [endedAt]);
  }
  return new Map(
    [...ends].map(([workflow, list]) => [
      workflow,
      workflowSilences(
        list.sort((a, b) => a - b),
        from,
      ),
    ]),
  );
}

/**
 * The points of the series of `subject` (a workflow, a host, a workflow's step) in `bySubject`,
 * the series added to `out` the first time: its key is built once, not for each of its points.
 */
function pointsOf(
  out: Map<string, SeriesPoints>,
  bySubject: Map<string, PointList>,
  subject: string,
  id: () => Omit<SeriesId, 'key'>,
  make: () => PointList,
): PointList {
  let points = bySubject.get(subject);
  if (!points) {
    const series = id();
    const key = seriesKey(series);
    out.set(key, { id: { key, ...series }, points: (points = make()) });
    bySubject.set(subject, points);
  }
  return points;
}

/** Run and step durations of completed runs, in the order the runs ended. */
export function durationSeries(runs: readonly RunOutline[]): SeriesPoints[] {
  const out = new Map<string, SeriesPoints>();
  const timed = runs.filter(isTimedRun).sort((a, b) => a.endedAt! - b.endedAt! || a.startedAt - b.startedAt);
  const counts = pointCounts(timed);
  let total = 0;
  for (const { runs, steps } of counts.values()) {
    total += runs;
    for (const count of steps.values()) total += count;
  }
  const block = PointList.block({ points: total });
  // Each workflow's step series by step name: months of steps are millions of points.
  const stepSeries = new Map<string, Map<string, PointList>>();
  const runSeries = new Map<string, PointList>();
  for (const run of timed) {
    const { workflow } = run;
    pointsOf(
      out,
      runSeries,
      workflow,
      () => ({ metric: 'run_duration', workflow }),
      () => block.take(counts.get(workflow)!.runs),
    ).push(run.startedAt, run.durationMs);
    let byName = stepSeries.get(workflow);
    if (!byName) stepSeries.set(workflow, (byName = new Map()));
    const { names, times } = run.completedSteps;
    for (let i = 0; i < names.length; i++) {
      // Looked up before `pointsOf`: a step's series is found millions of times, made a few thousand.
      const points =
        byName.get(names[i]) ??
        pointsOf(
          out,
          byName,
          names[i],
          () => ({ metric: 'step_duration', workflow, step: names[i] }),
          () => block.take(counts.get(workflow)!.steps.get(names[i])!),
        );
      points.push(times[2 * i], times[2 * i + 1]);
    }
  }
  return [...out.values()];
}

/**
 * Each workflow's runs among `runs` and its completed steps' by name: the points of its duration
 * series. Counted by the runs' arrays of step names, which the runs of a workflow that completed
 * the same steps share (`RunOutline.completedSteps`): a lookup a run, not one a step.
 */
function pointCounts(runs: readonly RunOutline[]): Map<string, { runs: number; steps: Map<string, number> }> {
  const byNames = new Map<string, Map<readonly string[], number>>();
  for (const { workflow, completedSteps } of runs) {
    let runsOf = byNames.get(workflow);
    if (!runsOf) byNames.set(workflow, (runsOf = new Map()));
    runsOf.set(completedSteps.names, (runsOf.get(completedSteps.names) ?? 0) + 1);
  }
  const counts = new Map<string, { runs: number; steps: Map<string, number> }>();
  for (const [workflow, runsOf] of byNames) {
    const steps = new Map<string, number>();
    let total = 0;
    for (const [names, count] of runsOf) {
      total += count;
      for (const name of names) steps.set(name, (steps.get(name) ?? 0) + count);
    }
    counts.set(workflow, { runs: total, steps });
  }
  return counts;
}

/** Runs in the sliding window each failure-rate point looks at. */
export const FAILURE_WINDOW_RUNS = 10;

/** How many of a window's `size` runs (oldest first) `failed`, and which: bit 0 the latest run. */
function windowFailures(size: number, failed: (index: number) => boolean): { failures: number; mask: number } {
  let failures = 0;
  let mask = 0;
  for (let i = 0; i < size; i++) {
    const bit = failed(i) ? 1 : 0;
    failures += bit;
    mask = mask * 2 + bit;
  }
  return { failures, mask };
}

/**
 * Failure rate per workflow: at each finished run, the failures among the last
 * `FAILURE_WINDOW_RUNS` finished runs (a burst shows within a few runs, however sparse or busy
 * the workflow is), and which of them failed, on any error and on a system error (any but a
 * business exception). `before` holds each workflow's runs that ended before these, oldest first;
 * `newErrors` the failures among `runs` on errors new to the fleet (`ErrorMemory`), by `failureKey`.
 */
export function failureSeries(
  runs: readonly RunOutline[],
  before: ReadonlyMap<string, ReadonlyArray<Pick<Execution, 'status' | 'errorType'>>>,
  newErrors?: ReadonlyMap<string, NewError>,
): SeriesPoints[] {
  const out = new Map<string, SeriesPoints>();
  const series = new Map<string, PointList>();
  /** Each workflow's recent outcomes: 0 completed, 1 failed on a business exception, 2 on a system error. */
  const recent = new Map<string, number[]>();
  const outcome = (run: Pick<Execution, 'status' | 'errorType'>) => (run.status === 'completed' ? 0 : run.errorType === 'business' ? 1 : 2);
  for (const [workflow, earlier] of before) {
    recent.set(
      workflow,
      earlier
        .filter((r) => r.status !== 'running')
        .slice(-(FAILURE_WINDOW_RUNS - 1))
        .map(outcome),
    );
  }
  const finished = runs.filter((r) => r.status !== 'running' && r.endedAt !== undefined).sort((a, b) => a.endedAt! - b.endedAt! || a.startedAt - b.startedAt);
  const counts = countBy(finished, (run) => run.workflow);
  const block = PointList.block({ ratePoints: finished.length });
  for (const run of finished) {
    const outcomes = recent.get(run.workflow) ?? [];
    outcomes.push(outcome(run));
    if (outcomes.length > FAILURE_WINDOW_RUNS) outcomes.shift();
    recent.set(run.workflow, outcomes);
    // As `windowFailures` marks them, both masks in one loop: a first pass has hundreds of thousands of runs.
    let failures = 0;
    let mask = 0;
    let systemMask = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const kind = outcomes[i];
      if (kind !== 0) failures++;
      mask = mask * 2 + (kind === 0 ? 0 : 1);
      systemMask = systemMask * 2 + (kind === 2 ? 1 : 0);
    }
    const points = pointsOf(
      out,
      series,
      run.workflow,
      () => ({ metric: 'failure_rate', workflow: run.workflow }),
      () => block.take(counts.get(run.workflow)!, { rates: true }),
    );
    points.push(run.endedAt!, failures, outcomes.length, mask, systemMask);
    const newError = run.status !== 'completed' && newErrors?.size ? newErrors.get(failureKey(run)) : undefined;
    if (newError) {
      const id = out.get(seriesKey({ metric: 'failure_rate', workflow: run.workflow }))!;
      (id.newErrors ??= new Map()).set(points.length - 1, newError);
    }
  }
  return [...out.values()];
}

/** What a robot's failure-rate series reads of a run. */
export type RobotRun = Pick<RunOutline, 'workflow' | 'robot' | 'status' | 'errorType' | 'endedAt' | 'startedAt'>;

/**
 * A run that failed (not one cancelled or timed out) on a system error, or on an error of no
 * stated type: what a robot's licence, session, credentials or machine fail a run with. A business
 * exception is about the data the run was given; an application error or a timeout about the
 * application a workflow drives; a cancelled run about whoever cancelled it.
 */
export const failedOnRobot = (run: Pick<RunOutline, 'status' | 'errorType'>): boolean =>
  run.status === 'failed' && (run.errorType === undefined || run.errorType === 'system');

/** Peers failing on system errors this often (a third of their recent runs) share the problem: the workflow's, not the robot's. */
const PEERS_FAILING_SHARE = 1 / 3;
/** A robot's failure is judged against its peers' runs that ended within this long of it... */
const PEER_HORIZON_MS = HOUR;
/** ...at least this many of them: with fewer, nothing tells a robot's failure from its workflow's (a burst that began on its run). */
const MIN_PEER_RUNS = 2;

/**
 * Failure rate per robot against its peers: at each finished run of a robot, how many of its last
 * `FAILURE_WINDOW_RUNS` runs failed on a system error (`failedOnRobot`) while the other robots'
 * runs of the same workflow around it mostly did not (`peersFine`). An expired licence, a broken
 * session, a robot's machine: its failures pile up here within a few of its runs, on every
 * workflow it serves, while a workflow-wide failure (a session broker down for everyone) is not
 * the robot's. A failure no peer ran near (a workflow only this robot runs) does not count: nothing
 * tells the robot apart. Every run of a robot is in its window, whichever pass reads it: its
 * windows and points are the same judged live, a pass a minute, as judged at once.
 *
 * `runs` in the order they ended; those before `judgeFrom(robot)` (and every run of a robot it
 * gives no time for) only fill the windows, the others are points of their robot's series.
 */
export function robotFailureSeries(runs: readonly RobotRun[], judgeFrom: (robot: string) => number | undefined): SeriesPoints[] {
  const out = new Map<string, SeriesPoints>();
  const series = new Map<string, PointList>();
  /** Each workflow's latest finished runs. */
  const peers = new Map<string, PeerRun[]>();
  /** Each robot's latest compared runs. */
  const recent = new Map<string, PeerRun[]>();
  const starts = new Map<string, number | undefined>();
  const finished = runs.filter((r) => r.status !== 'running' && r.endedAt !== undefined).sort((a, b) => a.endedAt! - b.endedAt! || a.startedAt - b.startedAt);
  for (const { robot } of finished) if (robot !== undefined && !starts.has(robot)) starts.set(robot, judgeFrom(robot));
  // The points: each robot's runs from where it is judged.
  const counts = countBy(finished, ({ robot, endedAt }) => {
    const from = robot === undefined ? undefined : starts.get(robot);
    return from !== undefined && endedAt! >= from ? robot : undefined;
  });
  let judged = 0;
  for (const count of counts.values()) judged += count;
  const block = PointList.block({ ratePoints: judged });
  for (const run of finished) {
    const entry: PeerRun = { workflow: run.workflow, robot: run.robot, endedAt: run.endedAt!, failed: failedOnRobot(run) };
    let latest = peers.get(run.workflow);
    if (!latest) peers.set(run.workflow, (latest = []));
    const robot = run.robot;
    if (robot !== undefined) {
      const outcomes = recent.get(robot) ?? [];
      outcomes.push(entry);
      if (outcomes.length > FAILURE_WINDOW_RUNS) outcomes.shift();
      recent.set(robot, outcomes);
      const from = starts.get(robot);
      if (from !== undefined && entry.endedAt >= from) {
        const { failures, mask } = windowFailures(
          outcomes.length,
          (i) => outcomes[i].failed && peersFine(peers.get(outcomes[i].workflow)!, outcomes[i], robot),
        );
        pointsOf(
          out,
          series,
          robot,
          () => ({ metric: 'failure_rate', robot }),
          () => block.take(counts.get(robot)!, { rates: true }),
        ).push(entry.endedAt, failures, outcomes.length, mask);
      }
    }
    latest.push(entry);
    if (latest.length > PEER_MEMORY_RUNS) latest.shift();
  }
  return [...out.values()];
}

/** A finished run as a robot's failure series reads it. */
interface PeerRun {
  workflow: string;
  robot: string | undefined;
  endedAt: number;
  /** Failed on a system error (`failedOnRobot`). */
  failed: boolean;
}

/** Each workflow's runs kept to judge its robots' peers by: enough for an hour either side of a failure on a busy workflow. */
const PEER_MEMORY_RUNS = 3 * FAILURE_WINDOW_RUNS;

/**
 * Whether the other robots of `run`'s workflow ran fine around it, as far as is known now (every
 * run in `latest` ended by now): `MIN_PEER_RUNS` or more of their runs within an hour of it, and
 * under a third of them failing on a system error in the hour before it and in the hour after,
 * each that has runs. Asked again at each point of its robot's window, so a failure the peers'
 * next runs share (a burst that had just begun) stops counting against the robot; and one the
 * peers' runs before it shared (a burst about to end) never counts, however fine their runs after.
 */
function peersFine(latest: readonly PeerRun[], run: PeerRun, robot: string): boolean {
  let runsBefore = 0;
  let failingBefore = 0;
  let runsAfter = 0;
  let failingAfter = 0;
  for (const peer of latest) {
    if (peer.robot === robot || Math.abs(peer.endedAt - run.endedAt) > PEER_HORIZON_MS) continue;
    if (peer.endedAt <= run.endedAt) {
      runsBefore++;
      if (peer.failed) failingBefore++;
    } else {
      runsAfter++;
      if (peer.failed) failingAfter++;
    }
  }
  const fine = (runs: number, failing: number) => failing < PEERS_FAILING_SHARE * runs || runs === 0;
  return runsBefore + runsAfter >= MIN_PEER_RUNS && fine(runsBefore, failingBefore) && fine(runsAfter, failingAfter);
}

/** The whole hours in [from, to): the points of each workflow's `hourlySeries`. */
export function wholeHours(from: number, to: number): number {
  return Math.max(0, Math.floor((to - Math.ceil(from / HOUR) * HOUR) / HOUR));
}

/**
 * Runs started per workflow and whole hour in [from, to). Hours without runs are points too
 * (volume 0): a workflow that stops running is what this series is for. A workflow whose series
 * is `fresh` (judged from nothing) starts at its first run: the hours before it existed are no
 * baseline. Each workflow's silences in `watch` go with its series, to be told within the hour.
 */
export function hourlySeries(
  starts: readonly HourlyStarts[],
  workflows: readonly string[],
  from: number,
  to: number,
  fresh: (workflow: string) => boolean = () => false,
  watch?: { silences: ReadonlyMap<string, Silence[]>; until: number },
): SeriesPoints[] {
  const first = Math.ceil(from / HOUR) * HOUR;
  const hourCount = wholeHours(from, to);
  // Each workflow's counts by hour from `first`: months of hours are thousands of slots, not map entries.
  const counts = new Map<string, Float64Array>();
  for (const { workflow, hour, runs } of starts) {
    const slot = (hour - first) / HOUR;
    if (!(slot >= 0 && slot < hourCount && Number.isInteger(slot))) continue;
    let hours = counts.get(workflow);
    if (!hours) counts.set(workflow, (hours = new Float64Array(hourCount)));
    hours[slot] += runs;
  }
  // Where each workflow's series starts: its first run for one judged for the first time.
  const firstSlots = workflows.map((workflow) => {
    const hours = counts.get(workflow);
    let slot = 0;
    if (fresh(workflow)) while (slot < hourCount && !(hours && hours[slot] > 0)) slot++;
    return slot;
  });
  const block = PointList.block({ points: firstSlots.reduce((sum, slot) => sum + hourCount - slot, 0) });
  const out: SeriesPoints[] = [];
  for (const [index, workflow] of workflows.entries()) {
    const hours = counts.get(workflow);
    let slot = firstSlots[index];
    const points = block.take(hourCount - slot);
    for (; slot < hourCount; slot++) points.push(first + slot * HOUR, hours ? hours[slot] : 0);
    const silences = watch?.silences.get(workflow);
    if (points.length || silences?.length) {
      const id = { metric: 'volume' as const, workflow };
      out.push({ id: { key: seriesKey(id), ...id }, points, ...(silences?.length ? { silences: { list: silences, until: watch!.until } } : {}) });
    }
  }
  return out;
}

/**
 * Each host's mean CPU %, mean memory use in % of the total and mean disk space used in % of
 * what robots can use per bucket, from the store's sums (`Store.hostBuckets`): the hosts whose
 * buckets start first come first, the CPU series of each before its memory series, then its disk
 * series (over the buckets that tell it, for hosts whose agent reports it).
 */
export function hostSeries(hosts: readonly HostBuckets[]): SeriesPoints[] {
  const out: SeriesPoints[] = [];
  const diskPoints = (diskSamples: HostBuckets['diskSamples']) => diskSamples.reduce((count, n) => count + (n > 0 ? 1 : 0), 0);
  const block = PointList.block({ points: hosts.reduce((sum, h) => sum + 2 * h.times.length + diskPoints(h.diskSamples), 0) });
  for (const { host, times, samples, cpuPercent, memoryPercent, diskSamples, diskPercent } of [...hosts].sort((a, b) => a.times[0] - b.times[0])) {
    const cpu = block.take(times.length);
    const memory = block.take(times.length);
    const disk = block.take(diskPoints(diskSamples));
    for (let i = 0; i < times.length; i++) {
      cpu.push(times[i], cpuPercent[i] / samples[i]);
      memory.push(times[i], memoryPercent[i] / samples[i]);
      // A pass reads whole buckets: a point each, whichever pass reads it.
      if (diskSamples[i] > 0) disk.push(times[i], diskPercent[i] / diskSamples[i]);
    }
    for (const [metric, points] of [
      ['host_cpu', cpu],
      ['host_memory', memory],
      ['host_disk', disk],
    ] as const) {
      if (points.length === 0) continue;
      const id = { metric, host };
      out.push({ id: { key: seriesKey(id), ...id }, points });
    }
  }
  return out;
}
