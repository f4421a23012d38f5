import { type Anomaly, DEFAULT_HISTORY_DAYS } from '@rpa-analytics/contract';
import { AppError } from '../domain/errors';
import type { Logger } from '../log';
import type { Execution } from '@rpa-analytics/contract';
import type { AnalysisCommit, AnalysisResults, ChangeLog, RunEnd, RunOutline, StoreReader } from '../store/store';

/** The store's roles a pass uses: runs to judge, results to keep, the change log to resume from. */
type SchedulerStore = StoreReader & Pick<AnalysisResults, 'commitAnalysis' | 'saveInsights'> & Pick<ChangeLog, 'arrivals' | 'latestChange'>;
import { bookAnomalies, regroupIncidents, type Rejudged, type SeriesEvent, SLOWDOWN_REJOIN_MS } from '../analysis/anomaly/anomalyBook';
import { CONTEXT_BASELINE_MS, CONTEXT_MARGIN_MS, contextWindow, robotContext, workflowContext } from '../analysis/anomaly/incidentContext';
import type { AnomalyContext, ContextOf } from '../analysis/anomaly/incidents';
import { type Family, familyOf, familySubject, type JudgedThrough, lateFamilies } from '../analysis/anomaly/latePlan';
import {
  createDetector,
  durationSeries,
  FAILURE_WINDOW_RUNS,
  failedOnRobot,
  failureSeries,
  floorTo,
  HOST_BUCKET_MS,
  hourlySeries,
  observeAll,
  parseSeriesKey,
  robotFailureSeries,
  type RobotRun,
  seriesKey,
  silencesOf,
  wholeHours,
  type SeriesId,
  type SeriesPoints,
  type Judging,
} from '../analysis/anomaly/seriesCatalog';
import { type DetectorEvent, type DetectorState, MAX_SILENCE_WAIT_MS, type SeriesDetector } from '../analysis/anomaly/seriesDetector';
import type { WorkflowHealth } from '../analysis/health';
import { AnomalyDetector } from './anomalyDetector';
import { DetectionHelper } from './detectionHelper';
import { detectorState, type StoredState } from './detectionHandler';
import { HEALTH_VALUE, HealthRefresh } from './healthRefresh';
import { InsightGenerator } from './insightGenerator';
import { fleetFailedBefore, fleetFailures, fleetRuns, readHostSeries, readLateSeries, runsBeforeWindow, WARMUP_MS } from './lateSeries';
import { type ErrorMemory, type NewError, newErrorsBetween } from '../analysis/anomaly/newErrors';
import { PerformanceAnalyzer } from './performanceAnalyzer';

export { HEALTH_RECENT_RUNS, HEALTH_REFRESH_MS } from './healthRefresh';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface SchedulerOptions {
  store: SchedulerStore;
  /** Threshold in robust standard deviations (default 4). */
  sensitivity?: number;
  /** The fleet's time zone, whose hours and weekends seasonal baselines keep (default UTC). */
  timeZone?: string;
  /** Time between passes (default 60 s). */
  intervalMs?: number;
  /**
   * Runs that ended, hours and host buckets younger than this are left to the next pass (default
   * 60 s): robots report a little out of order, and what comes in order is judged online.
   */
  latenessMs?: number;
  /** How far back a first pass (or one that lost track of what arrived) reads (default `DEFAULT_HISTORY_DAYS`). */
  historyDays?: number;
  /** Insights are recomputed at most this often (default 10 minutes) over `insightPeriodDays` (default 7). */
  insightIntervalMs?: number;
  insightPeriodDays?: number;
  /** Points in a pass (about three a run for the runs' series) from which a helper thread judges a share of them (default 100,000; Infinity: never). */
  helperPoints?: number;
  /** Detector states written in one transaction (default 250: about 4 KB each after a catch-up, a few milliseconds of the write lock). */
  statesPerTransaction?: number;
  log?: Logger;
  now?: () => number;
}

export interface PassReport {
  from: number;
  to: number;
  /** Runs judged online (they ended since the last pass). */
  runs: number;
  points: number;
  /** Of them, judged by a helper thread (a pass catching up on a long history). */
  helperPoints: number;
  /** Workflows and hosts judged again because data arrived late for them, and from when. */
  late: { families: number; from?: number; points: number };
  opened: number;
  closed: number;
  openAnomalies: number;
  insights: number;
  durationMs: number;
  /** Of it, writing what the pass found (the database's write lock is held meanwhile). */
  commitMs: number;
}

/** Set while a pass writes its detector states in slices, cleared by its final commit. */
const TORN = 'states.torn';

/** Late runs from which a pass is a catch-up (a backfill, a restore), said in the log at info. */
const CATCH_UP_RUNS = 100;

/** "3 workflows, 2 robots and 1 host" of late families. */
function familyCount(families: Iterable<Family>): string {
  const counts = { workflow: 0, robot: 0, host: 0 };
  for (const family of families) {
    const subject = familySubject(family);
    counts[subject.workflow !== undefined ? 'workflow' : subject.robot !== undefined ? 'robot' : 'host']++;
  }
  const parts = Object.entries(counts).flatMap(([noun, n]) => (n ? [`${n} ${noun}${n === 1 ? '' : 's'}`] : []));
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : (parts[0] ?? '');
}

/** Runs that ended this long before the hours a pass judges are read for the silences that may be told in them (and the hour before each). */
const SILENCE_READ_MS = MAX_SILENCE_WAIT_MS + HOUR;

/** Incidents are grouped again from the last quiet gap before a change, looked for this far back. */
const REGROUP_LOOKBACK_MS = 7 * DAY;

/** Each series' detector events of a pass and the state it ended in, by series key. */
type Judged = Map<string, { events: DetectorEvent[]; state: unknown }>;

/** Where a pass starts and ends, in event time and in the change log. */
interface PassWindow {
  now: number;
  historyFrom: number;
  runs: { from: number; to: number };
  hours: { from: number; to: number };
  hosts: { from: number; to: number };
  /** The change log up to which arrivals are taken. */
  changes: number;
}

/**
 * Runs the analysis on new data. A pass takes what arrived since the previous one, whatever its
 * event time:
 * 1. What came in order (runs that ended, hours and host buckets since the last pass) goes
 *    through each series' online detector, from where it stood (run and step durations, failure
 *    rate and volume of each workflow, CPU and memory of each host).
 * 2. What arrived late (the change log names it) has its workflow's or host's series judged
 *    again by fresh detectors, from a warm-up before the first late point, and their judgements
 *    from that point on replace the stored ones.
 * 3. Anomalies open, escalate and close; incidents are grouped again where anomalies were added
 *    or removed; insights and each workflow's health are refreshed.
 * 4. Everything found, the detectors' states and how far the pass got are committed (the states
 *    in slices first, the rest in one transaction), so a restart carries on where the last pass
 *    ended.
 */
export class AnalysisScheduler {
  readonly performance: PerformanceAnalyzer<SchedulerStore>;
  readonly insights: InsightGenerator;
  private readonly store: SchedulerStore;
  private readonly judging: Judging;
  private readonly intervalMs: number;
  private readonly latenessMs: number;
  private readonly historyDays: number;
  private readonly insightIntervalMs: number;
  private readonly insightPeriodDays: number;
  private readonly helperPoints: number;
  private readonly statesPerTransaction: number;
  private readonly now: () => number;
  private readonly log?: Logger;
  private readonly healthRefresh: HealthRefresh;
  private readonly detectors = new Map<string, SeriesDetector>();
  /** Detectors' states as stored, or as a helper thread left them (JSON), for detectors not made yet. */
  private storedStates = new Map<string, StoredState>();
  /** Baselines of detectors a helper thread ran, as fitted there (a stored state alone is refitted). */
  private readonly storedBaselines = new Map<string, unknown>();
  private readonly openAnomalies = new Map<string, Anomaly>();
  /**
   * The ends of the runs judged lately, from `SILENCE_READ_MS` before the hours the next pass
   * judges up to where the last one stopped (`to`): the silences a pass tells are found among
   * them and its own runs, not read again each minute.
   */
  private recentEnds?: { to: number; runs: RunEnd[] };
  /** The fleet's errors as of the end of the last pass's runs (`to`), to tell the next pass's new ones by. */
  private errorMemory?: { to: number; memory: ErrorMemory };
  private timer?: NodeJS.Timeout;
  private running = false;
  private lastInsightsAt = 0;
  /** The last pass stopped between writing detector states and its commit: the states are not to be trusted. */
  private torn = false;
  /**
   * The last pass failed before its commit was through: this thread's detectors and open anomalies
   * are ahead of what is stored, and are taken from the store again before the next pass.
   */
  private failed = false;
  lastReport?: PassReport;
  lastError?: string;
  /** When the last pass finished (wall clock), for the collector's own health. */
  lastPassAt?: number;

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.judging = { sensitivity: options.sensitivity ?? 4, timeZone: options.timeZone ?? 'UTC' };
    this.intervalMs = options.intervalMs ?? 60_000;
    this.latenessMs = options.latenessMs ?? 60_000;
    this.historyDays = options.historyDays ?? DEFAULT_HISTORY_DAYS;
    this.insightIntervalMs = options.insightIntervalMs ?? 600_000;
    this.insightPeriodDays = options.insightPeriodDays ?? 7;
    this.helperPoints = options.helperPoints ?? 100_000;
    this.statesPerTransaction = options.statesPerTransaction ?? 250;
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.performance = new PerformanceAnalyzer(this.store);
    this.insights = new InsightGenerator(this.performance, new AnomalyDetector(this.store, this.judging));
    this.healthRefresh = new HealthRefresh(this.store);
    this.reload();
  }

  /** Each workflow's latest runs against its recent past, as of the last pass. */
  get health(): WorkflowHealth[] {
    return this.healthRefresh.health;
  }

  /**
   * Takes the detectors' states and open anomalies from the store again: for a collector that
   * takes the analysis over from another one sharing the database.
   */
  reload(): void {
    this.detectors.clear();
    this.recentEnds = undefined;
    this.errorMemory = undefined;
    this.storedBaselines.clear();
    this.storedStates = this.store.loadDetectorStates() as Map<string, DetectorState>;
    this.openAnomalies.clear();
    for (const anomaly of this.store.listAnomalies({ status: 'open' })) this.openAnomalies.set(anomaly.seriesKey, anomaly);
    // A workflow's slowdown that closed lately may open again (`SLOWDOWN_REJOIN_MS`), the latest of each.
    const recent = this.store.listAnomalies({ status: 'closed', from: this.now() - SLOWDOWN_REJOIN_MS }).filter((a) => a.parts !== undefined);
    for (const anomaly of recent.sort((a, b) => a.endedAt! - b.endedAt!))
      if (this.openAnomalies.get(anomaly.seriesKey)?.status !== 'open') this.openAnomalies.set(anomaly.seriesKey, anomaly);
    this.torn = this.store.analysisValue(TORN) === '1';
  }

  start(): this {
    if (this.timer) return this;
    const tick = () => {
      if (this.running) return;
      try {
        this.runPass();
      } catch (error) {
        this.lastError = (error as Error).message;
        this.log?.error({ err: error }, 'analysis pass failed');
      }
    };
    setImmediate(tick);
    this.timer = setInterval(tick, this.intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * One pass over everything that arrived since the last one. Insights are refreshed when they
   * are due (`insightIntervalMs`), or whenever `refreshInsights` asks (a pass someone requested:
   * after a backfill they should not wait ten minutes for them).
   */
  runPass(options: { refreshInsights?: boolean } = {}): PassReport {
    this.running = true;
    const started = performance.now();
    try {
      // Judged again from the stored states: what the failed pass found is found, and booked, again.
      if (this.failed) this.reload();
      this.failed = true;
      const window = this.passWindow();
      const { late, catchUp } = this.lateFamilies(window);
      const online = this.judgeOnline(window, late);
      const rejudged = this.judgeLate(window, late);

      // Insights and health read runs, not what the detectors found.
      let insightCount = 0;
      if (options.refreshInsights || window.now - this.lastInsightsAt >= this.insightIntervalMs) {
        insightCount = this.insights.generateFleetInsights({ analysisPeriodDays: this.insightPeriodDays, now: window.now }).length;
        this.insights.measureImplemented(window.now);
        this.lastInsightsAt = window.now;
      }
      const changedWorkflows = new Set([...online.finished, ...rejudged.runs].map((r) => r.workflow));
      this.healthRefresh.refresh({ runs: online.finished, ...window.runs }, changedWorkflows, window.now);
      online.finishHelper();

      const book = this.book(online.events, rejudged.series, late);
      const states = new Map([...online.states, ...rejudged.states]);
      const values = {
        'cursor.runs': String(window.runs.to),
        'cursor.hours': String(window.hours.to),
        'cursor.hosts': String(window.hosts.to),
        'cursor.changes': String(window.changes),
        [HEALTH_VALUE]: JSON.stringify(this.healthRefresh.health),
      };
      const committing = performance.now();
      const { anomalies, removedAnomalies, incidents, removedIncidents } = book;
      this.commit({ anomalies, removedAnomalies, incidents, removedIncidents }, states, values);
      const commitMs = performance.now() - committing;
      const firstLate = late.size ? Math.min(...late.values()) : undefined;
      const report: PassReport = {
        ...window.runs,
        runs: online.finished.length,
        points: online.points + rejudged.points,
        helperPoints: online.helperPoints + rejudged.helperPoints,
        late: { families: late.size, ...(firstLate === undefined ? {} : { from: firstLate }), points: rejudged.points },
        opened: book.opened,
        closed: book.closed,
        openAnomalies: [...this.openAnomalies.values()].filter((a) => a.status === 'open').length,
        insights: insightCount,
        durationMs: performance.now() - started,
        commitMs,
      };
      this.failed = false;
      this.lastReport = report;
      this.lastPassAt = Date.now();
      this.lastError = undefined;
      if (catchUp || online.catchingUp) {
        const again = late.size ? `; ${familyCount(late.keys())} judged again (${rejudged.runs.length} runs from their warm-ups)` : '';
        this.log?.info(
          { report },
          `analysis: caught up in ${(report.durationMs / 1000).toFixed(1)} s: ${report.runs} runs judged as they came${again}, ${report.points} points`,
        );
      } else this.log?.debug({ report }, 'analysis pass done');
      return report;
    } finally {
      this.running = false;
    }
  }

  /**
   * Step 4: writes what the pass found. Detector states (megabytes after a catch-up) go first, in
   * slices of their own short transactions, so ingest never waits long for the write lock; the
   * anomalies, incidents, cursors and the last slice go together, last. Should the collector stop
   * between them, the states are marked torn, and the next pass judges every series again from
   * where the last complete commit left them.
   */
  private commit(book: Omit<AnalysisCommit, 'detectorStates' | 'values'>, states: Map<string, unknown>, values: Record<string, string>): void {
    // Until the commit is through, this thread's detectors are ahead of the stored cursors.
    this.torn = true;
    const slices: Array<Map<string, unknown>> = [];
    let slice = new Map<string, unknown>();
    for (const [key, state] of states) {
      if (slice.size >= this.statesPerTransaction) {
        slices.push(slice);
        slice = new Map();
      }
      slice.set(key, state);
    }
    if (slices.length === 0 || slice.size > 0) slices.push(slice);
    const empty = { anomalies: [], incidents: [], detectorStates: new Map<string, unknown>() };
    if (slices.length > 1) {
      this.store.commitAnalysis({ ...empty, values: { [TORN]: '1' } });
      for (const part of slices.slice(0, -1)) this.store.commitAnalysis({ ...empty, detectorStates: part, values: {} });
    }
    this.store.commitAnalysis({ ...book, detectorStates: slices[slices.length - 1], values: { ...values, [TORN]: '0' } });
    this.torn = false;
  }

  /** This pass's reach: online from the last pass's cursors up to the watermark, arrivals up to the latest committed write. */
  private passWindow(): PassWindow {
    const now = this.now();
    const watermark = now - this.latenessMs;
    // Read before anything else: whatever commits later is the next pass's.
    const changes = this.store.latestChange();
    const cursor = (name: string, fallback: number) => Number(this.store.analysisValue(name) ?? fallback);
    const historyFrom = watermark - this.historyDays * DAY;
    const runsFrom = cursor('cursor.runs', historyFrom);
    const hoursFrom = cursor('cursor.hours', floorTo(historyFrom, HOUR));
    const hostsFrom = cursor('cursor.hosts', floorTo(historyFrom, HOST_BUCKET_MS));
    return {
      now,
      historyFrom,
      runs: { from: runsFrom, to: Math.max(runsFrom, watermark) },
      hours: { from: hoursFrom, to: Math.max(hoursFrom, floorTo(watermark, HOUR)) },
      hosts: { from: hostsFrom, to: Math.max(hostsFrom, floorTo(watermark, HOST_BUCKET_MS)) },
      changes,
    };
  }

  /**
   * The workflows and hosts that data arrived late for since the last pass, each with the time
   * from which its judgements are stale. None on a first pass (it reads the whole history). When
   * the change log no longer holds what followed the last pass (the analysis was off longer than
   * the log keeps), every workflow and host is judged again over the history.
   */
  private lateFamilies(window: PassWindow): { late: Map<Family, number>; catchUp: boolean } {
    const after = this.store.analysisValue('cursor.changes');
    if (after === undefined) {
      // A first pass: every detector starts afresh anyway, whatever a torn one left.
      if (this.torn) for (const key of [...this.detectors.keys(), ...this.storedStates.keys()]) this.forget(key);
      return { late: new Map(), catchUp: false };
    }
    const through: JudgedThrough = { runs: window.runs.from, hours: window.hours.from, hosts: window.hosts.from };
    const everything = (from: number) => {
      const families: Family[] = [
        ...this.store.names('workflows').map((w) => familyOf({ workflow: w })),
        ...this.store.names('robots').map((robot) => familyOf({ robot })),
        ...this.store.names('hosts').map((h) => familyOf({ host: h })),
      ];
      return new Map(families.map((f) => [f, from]));
    };
    let late: Map<Family, number>;
    // A backfill, a restore, a lost log: a catch-up, said in the log; a late run or two is routine.
    let catchUp = true;
    if (this.torn) {
      this.log?.warn("analysis: the last pass stopped while writing the detectors' states; judging every series again from where the pass before it ended");
      late = everything(Math.min(through.runs, through.hours, through.hosts));
    } else
      try {
        const arrivals = this.store.arrivals(Number(after), window.changes);
        late = lateFamilies(arrivals, through);
        catchUp = arrivals.runs.length >= CATCH_UP_RUNS;
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'gone')) throw error;
        this.log?.warn({ reason: error.message }, 'analysis: what arrived since the last pass is no longer in the change log; judging the whole history again');
        late = everything(window.historyFrom);
      }
    for (const [family, from] of late) late.set(family, Math.max(from, window.historyFrom));
    this.withNewErrorsAfter(late);
    catchUp &&= late.size > 0;
    if (late.size > 0) {
      const from = new Date(Math.min(...late.values())).toISOString();
      const message = `analysis: data arrived for ${familyCount(late.keys())} from before what was judged (from ${from}): judging them again from a warm-up before it`;
      if (catchUp) this.log?.info({ families: late.size, from }, message);
      else this.log?.debug({ families: late.size, from }, message);
    }
    return { late, catchUp };
  }

  /**
   * Adds to `late` the workflows whose failure rates a new error opened after a late workflow's
   * first late point, from the anomaly's start: a late failure may make that error one the fleet
   * had met, or count as a new error of its week. A late run that would make another workflow's
   * failure count as new (by the runs it adds, or an earlier first failure) is not looked for.
   */
  private withNewErrorsAfter(late: Map<Family, number>): void {
    const starts = [...late].flatMap(([family, from]) => (familySubject(family).workflow !== undefined ? [from] : []));
    if (starts.length === 0) return;
    const earliest = Math.min(...starts);
    for (const anomaly of this.store.listAnomalies({ metrics: ['failure_rate'], from: earliest })) {
      if (anomaly.newError === undefined || anomaly.workflow === undefined || anomaly.startedAt < earliest) continue;
      const family = familyOf({ workflow: anomaly.workflow });
      late.set(family, Math.min(late.get(family) ?? Infinity, anomaly.startedAt));
    }
  }

  /**
   * Step 1: the series of families not judged again, from where their detectors stood, over what
   * ended or passed since the last pass. A pass catching up on months starts a helper thread: it
   * judges hosts while this thread reads the runs, then volumes (their silences are found among
   * the runs' ends, read first), the duration and failure series while this one refreshes insights and health; then
   * this one judges those the helper has not begun (`finishHelper`).
   */
  private judgeOnline(window: PassWindow, late: ReadonlyMap<Family, number>) {
    const { runs, hours, hosts: hostRange } = window;
    const allWorkflows = this.store.names('workflows');
    // A first pass on an empty database has nothing to catch up on.
    const catchingUp = runs.to - runs.from > DAY && allWorkflows.length > 0;
    if (catchingUp) {
      const days = Math.round((runs.to - runs.from) / DAY);
      this.log?.info(
        { from: new Date(runs.from).toISOString(), to: new Date(runs.to).toISOString() },
        `analysis: catching up on ${days} days of stored runs in one pass (ingest and panels go on)`,
      );
    }
    const isLate = (id: SeriesId) => late.has(familyOf(id));
    const workflows = allWorkflows.filter((w) => !late.has(familyOf({ workflow: w })));
    const volumePoints = workflows.length * wholeHours(hours.from, hours.to);
    const early = volumePoints >= this.helperPoints;
    const startHelper = (points: number) =>
      DetectionHelper.start({
        points,
        threshold: this.helperPoints,
        judging: this.judging,
        resumeFrom: (key) => ({ state: this.storedStates.get(key), baseline: this.storedBaselines.get(key) }),
        log: this.log,
      });
    // Series whose detectors live in this thread stay here.
    const stays = (key: string) => this.detectors.has(key);
    let helper = early ? startHelper(volumePoints) : undefined;
    const starts = hours.to > hours.from ? this.store.hourlyStarts(hours.from, hours.to) : [];
    // A workflow's runs per hour judged for the first time start at its first run.
    const fresh = (workflow: string) => {
      const key = seriesKey({ metric: 'volume', workflow });
      return (this.detectors.get(key)?.lastTime ?? detectorState(this.storedStates.get(key))?.lastTime) === undefined;
    };
    if (!early) helper = startHelper(volumePoints + 3 * starts.reduce((sum, s) => sum + s.runs, 0));
    // Handed as they are read: the helper judges the first hosts while this thread reads the rest.
    const hosts =
      hostRange.to > hostRange.from
        ? readHostSeries(
            this.store,
            hostRange,
            (id) => !isLate(id),
            (read) => helper?.hand(read, stays),
          )
        : [];
    // Runs per hour go with their silences, from the ends of the runs that ended lately and in the
    // window: read alone, before the runs, so the helper judges them while this thread reads the runs.
    const lateWorkflows = [...late.keys()].flatMap((family) => familySubject(family).workflow ?? []);
    const silences = silencesOf(this.endsSince(hours, runs, lateWorkflows), hours.from - MAX_SILENCE_WAIT_MS);
    const volumes = hourlySeries(starts, workflows, hours.from, hours.to, fresh, { silences, until: runs.to });
    helper?.hand(volumes, stays);
    const ended = this.store.runOutlines({ by: 'end', ...runs });
    const finished = ended.filter((r) => !late.has(familyOf(r)));
    // The duration series first, quicker to build: the helper judges them while this thread builds
    // the failure series, offered after them. Once this thread has refreshed insights and health,
    // it takes back, from the last on, those the helper has not begun (`finishHelper`).
    const durations = durationSeries(finished);
    helper?.offer(durations, stays);
    const before = runsBeforeWindow(this.store, new Map(ended.map((r) => [r.workflow, runs.from])));
    const failures = [...failureSeries(finished, before, this.newErrors(runs, late)), ...this.robotSeries(ended, runs.from, late)];
    helper?.offer(failures, stays);
    const series: SeriesPoints[] = [...durations, ...failures, ...volumes, ...hosts];

    const judged: Judged = new Map();
    this.judgeHere(
      series.filter((s) => !helper?.keys.has(s.id.key)),
      judged,
    );

    const result = {
      catchingUp,
      finished,
      points: series.reduce((sum, s) => sum + s.points.length, 0),
      helperPoints: 0,
      events: [] as SeriesEvent[],
      states: new Map<string, unknown>(),
      /** Judges the series the helper has not begun, takes its results (or judges its series here when it failed); then `events` and `states` are complete. */
      finishHelper: () => {
        if (helper) result.helperPoints = this.collect(helper, judged);
        for (const { id } of series) {
          const { events, state } = judged.get(id.key)!;
          for (const event of events) result.events.push({ series: id, event });
          result.states.set(id.key, state);
        }
      },
    };
    return result;
  }

  /**
   * The ends of the runs from `SILENCE_READ_MS` before this pass's hours to the end of its runs
   * (`Store.runEnds`). Those before the window are kept from the last pass; they are read again
   * for the workflows data arrived late for (a late run may fill a silence), and for all, in one
   * read with the window's, when none were kept or they do not reach where this pass starts.
   * Those the next pass needs are kept for it.
   */
  private endsSince(hours: PassWindow['hours'], runs: PassWindow['runs'], lateWorkflows: readonly string[]): RunEnd[] {
    const from = hours.from - SILENCE_READ_MS;
    const kept = this.recentEnds;
    let all: RunEnd[];
    if (kept && kept.to === runs.from) {
      const late = new Set(lateWorkflows);
      all = kept.runs.filter((r) => r.endedAt >= from && !late.has(r.workflow));
      if (late.size) all.push(...this.store.runEnds(from, runs.from).filter((r) => late.has(r.workflow)));
      all.push(...this.store.runEnds(runs.from, runs.to));
    } else all = this.store.runEnds(Math.min(from, runs.from), runs.to);
    const next = hours.to - SILENCE_READ_MS;
    this.recentEnds = { to: runs.to, runs: all.filter((r) => r.endedAt >= next) };
    return all;
  }

  /**
   * The failures on errors new to the fleet (`NewError`) among the runs that ended in the window.
   * The fleet's memory of errors is kept from the last pass; it reads its two memories of failures
   * again after a restart or a failed pass, when data arrived late, or when it does not reach where
   * this pass starts.
   */
  private newErrors(runs: PassWindow['runs'], late: ReadonlyMap<Family, number>): Map<string, NewError> {
    const failures = fleetFailures(this.store);
    const kept = this.errorMemory;
    if (kept && kept.to === runs.from && late.size === 0) {
      kept.to = runs.to;
      return kept.memory.see(failures(runs.from, runs.to), fleetRuns(this.store));
    }
    const { judged, memory } = newErrorsBetween(runs.from, runs.to, failures, fleetRuns(this.store), fleetFailedBefore(this.store));
    this.errorMemory = { to: runs.to, memory };
    return judged;
  }

  /**
   * Each robot's failures against its peers' over the runs that ended in the window, from where
   * its detector stood (robots whose family is re-judged aside). Its last runs before the window
   * fill the window its first points look back over, and the peers' runs within an hour of each
   * failure among them or among the window's judge those failures: the points are those a single
   * pass over the whole history gives.
   */
  private robotSeries(ended: readonly RunOutline[], from: number, late: ReadonlyMap<Family, number>): SeriesPoints[] {
    // Loops, not spreads and callbacks: a first pass over months has hundreds of thousands of runs.
    const robots = new Set<string>();
    for (const { robot } of ended) if (robot !== undefined) robots.add(robot);
    for (const robot of robots) if (late.has(familyOf({ robot }))) robots.delete(robot);
    if (robots.size === 0) return [];
    const earlier = [...robots].flatMap((robot) => this.store.runs({ robots: [robot], by: 'end', to: from, last: FAILURE_WINDOW_RUNS - 1 }));
    const failures: RobotRun[] = [];
    for (const runs of [earlier, ended]) for (const r of runs) if (r.robot !== undefined && robots.has(r.robot) && failedOnRobot(r)) failures.push(r);
    // The earliest failure by a loop: a first pass over months holds too many to spread into Math.min.
    const earliest = failures.reduce((min, r) => Math.min(min, r.endedAt!), Infinity);
    const peers = failures.length
      ? this.store.runs({ workflows: [...new Set(failures.map((r) => r.workflow))], by: 'end', from: earliest - HOUR, to: from })
      : [];
    const read = new Map<string, Execution>([...peers, ...earlier].map((r) => [r.id, r]));
    return robotFailureSeries(Array.from<RobotRun>(read.values()).concat(ended), (robot) => (robots.has(robot) ? from : undefined));
  }

  /** Step 2: the series of families that data arrived late for, judged again by fresh detectors. */
  private judgeLate(window: PassWindow, late: ReadonlyMap<Family, number>) {
    const states = new Map<string, unknown>();
    const series: Rejudged[] = [];
    if (late.size === 0) return { series, states, runs: [] as RunOutline[], points: 0, helperPoints: 0 };
    const read = readLateSeries(this.store, late, { runs: window.runs.to, hours: window.hours.to, hosts: window.hosts.to }, window.historyFrom);
    // Every series of these families starts afresh, also those that get no points now (a step no longer run).
    for (const key of [...this.detectors.keys(), ...this.storedStates.keys()]) {
      const id = parseSeriesKey(key);
      if (!late.has(familyOf(id))) continue;
      this.forget(key);
      states.set(key, createDetector(id.metric, this.judging).currentState);
    }
    // A backfill is a catch-up like a first pass: a helper thread takes a share when it is large.
    const points = read.series.reduce((sum, s) => sum + s.points.length, 0);
    const helper = DetectionHelper.start({
      points,
      threshold: this.helperPoints,
      judging: this.judging,
      resumeFrom: () => ({}),
      log: this.log,
    });
    // This thread has nothing else to do meanwhile: it takes back from the last series on (`collect`).
    helper?.offer(read.series);
    const judged: Judged = new Map();
    this.judgeHere(
      read.series.filter((s) => !helper?.keys.has(s.id.key)),
      judged,
    );
    const helperPoints = helper ? this.collect(helper, judged) : 0;
    for (const { id } of read.series) {
      const { events, state } = judged.get(id.key)!;
      series.push({ series: id, from: late.get(familyOf(id))!, events });
      states.set(id.key, state);
    }
    return { series, states, runs: read.runs, points, helperPoints };
  }

  /** Judges each series in this thread, from where its detector stands. */
  private judgeHere(list: readonly SeriesPoints[], judged: Judged): void {
    for (const { id, points, silences, newErrors } of list) {
      const detector = this.detector(id);
      // Written out by the commit, before any detector sees another point.
      judged.set(id.key, { events: observeAll(detector, points, silences, newErrors), state: detector.currentState });
    }
  }

  /**
   * Judges here the offered series the helper has not begun, then takes the helper's judgements
   * (its series judged here when it failed); returns the points it judged.
   */
  private collect(helper: DetectionHelper, judged: Judged): number {
    for (let part = helper.takeBack(); part; part = helper.takeBack()) this.judgeHere(part, judged);
    const results = helper.finish(this.log);
    if (!results) {
      this.judgeHere(helper.series, judged);
      return 0;
    }
    for (const { key, events, state, baseline } of results) {
      judged.set(key, { events, state });
      // The next pass's detector of the series resumes where the helper's ended, baseline and all.
      this.storedStates.set(key, state);
      if (baseline !== undefined) this.storedBaselines.set(key, baseline);
    }
    return helper.points;
  }

  /** Step 3: anomaly records from what the detectors reported, and the incidents they make. */
  private book(online: SeriesEvent[], rejudged: Rejudged[], late: ReadonlyMap<Family, number>) {
    const superseded = late.size
      ? // The store lists anomalies by their last point; one ends at the normal point that closed it,
        // up to ten runs later: read from as far back as the warm-up, then keep those that end after.
        this.store.listAnomalies({ from: Math.min(...late.values()) - WARMUP_MS }).filter((a) => {
          const from = late.get(familyOf(a));
          return from !== undefined && (a.status === 'open' || (a.endedAt ?? a.lastSeenAt) >= from);
        })
      : [];
    const booked = bookAnomalies({ online, rejudged, open: this.openAnomalies, superseded });
    const changed = new Map(booked.anomalies.map((a) => [a.id, a]));
    const removed = new Set(booked.removedAnomalies);
    let anomalies = booked.anomalies;
    let incidentsFrom = Math.min(...anomalies.map((a) => a.startedAt));
    if (booked.regroupFrom !== undefined) {
      // The week before: where the last quiet gap before the change is found.
      const from = booked.regroupFrom - REGROUP_LOOKBACK_MS;
      const stored = this.store.listAnomalies({ from }).filter((a) => !changed.has(a.id) && !removed.has(a.id));
      anomalies = [...stored, ...booked.anomalies];
      incidentsFrom = from;
    }
    const incidents = anomalies.length ? this.store.listIncidents({ from: incidentsFrom }) : [];
    // Removed: superseded ones not found again, and steps' anomalies of old taken into their slowdown.
    const supersededIds = new Set(superseded.map((a) => a.id));
    const removedStored = [
      ...superseded.filter((a) => removed.has(a.id)),
      ...booked.removedAnomalies.filter((id) => !supersededIds.has(id)).flatMap((id) => this.store.getAnomaly(id) ?? []),
    ];
    const regrouped = regroupIncidents({
      anomalies,
      removed: removedStored,
      incidents,
      from: booked.regroupFrom,
      contextOf: this.contextOf(),
      stored: (id) => this.store.getAnomaly(id),
      changed: new Set(changed.keys()),
    });
    for (const moved of regrouped.moved) {
      changed.set(moved.id, moved);
      if (this.openAnomalies.get(moved.seriesKey)?.id === moved.id) this.openAnomalies.set(moved.seriesKey, moved);
    }
    return {
      anomalies: [...changed.values()],
      removedAnomalies: booked.removedAnomalies,
      incidents: regrouped.incidents,
      removedIncidents: regrouped.removedIncidents,
      opened: booked.opened,
      closed: booked.closed,
    };
  }

  /** What an anomaly is about beyond its series (`workflowContext`), read from its workflow's runs once a pass. */
  private contextOf(): ContextOf {
    const known = new Map<string, AnomalyContext>();
    return (anomaly) => {
      if (anomaly.host) return { hosts: [anomaly.host] };
      let context = known.get(anomaly.id);
      if (!context && anomaly.robot !== undefined) {
        const window = contextWindow(anomaly);
        context = robotContext(anomaly, this.store.runs({ robots: [anomaly.robot], from: window.from, to: window.to }));
        known.set(anomaly.id, context);
      }
      if (!context) {
        const window = contextWindow(anomaly);
        const runs = this.store.runs({ workflows: [anomaly.workflow!], from: anomaly.startedAt - CONTEXT_BASELINE_MS, to: window.to });
        const before = runs.filter((r) => r.startedAt < anomaly.startedAt - CONTEXT_MARGIN_MS);
        context = workflowContext(
          anomaly,
          before,
          runs.filter((r) => r.startedAt >= window.from),
        );
        known.set(anomaly.id, context);
      }
      return context;
    };
  }

  private detector(id: SeriesId): SeriesDetector {
    let detector = this.detectors.get(id.key);
    if (!detector) {
      detector = createDetector(id.metric, this.judging, detectorState(this.storedStates.get(id.key)), this.storedBaselines.get(id.key));
      this.storedStates.delete(id.key);
      this.storedBaselines.delete(id.key);
      this.detectors.set(id.key, detector);
    }
    return detector;
  }

  /** Drops a series' detector and stored state: its next detector starts afresh. */
  private forget(key: string): void {
    this.detectors.delete(key);
    this.storedStates.delete(key);
    this.storedBaselines.delete(key);
  }
}
