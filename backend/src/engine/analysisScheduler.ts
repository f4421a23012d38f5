import os from 'node:os';
import path from 'node:path';
import { type Anomaly, DEFAULT_HISTORY_DAYS, type Incident } from '../domain/analysis';
import type { Execution } from '../domain/types';
import type { Logger } from '../log';
import type { RunOutline, Store } from '../store/store';
import { applyEvent } from '../analysis/anomaly/anomalies';
import { correlate, DEFAULT_CORRELATION, refresh } from '../analysis/anomaly/incidents';
import {
  createDetector,
  durationSeries,
  FAILURE_WINDOW_RUNS,
  failureSeries,
  HOST_BUCKET_MS,
  hostSeries,
  hourlySeries,
  observeAll,
  wholeHours,
  type SeriesId,
  type SeriesPoints,
} from '../analysis/anomaly/seriesCatalog';
import type { DetectorEvent, DetectorState, SeriesDetector } from '../analysis/anomaly/seriesDetector';
import { type WorkflowHealth, workflowHealth } from '../analysis/health';
import { SyncBridge } from '../threads/syncBridge';
import { AnomalyDetector } from './anomalyDetector';
import { detectorState, type JudgedSeries, packSeries, type StoredState } from './detectionHandler';
import { InsightGenerator } from './insightGenerator';
import { PerformanceAnalyzer } from './performanceAnalyzer';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface SchedulerOptions {
  store: Store;
  /** Threshold in robust standard deviations (default 4). */
  sensitivity?: number;
  /** Time between passes (default 60 s). */
  intervalMs?: number;
  /** Data younger than this is left to the next pass, so late batches are not skipped (default 60 s). */
  latenessMs?: number;
  /** How far back the very first pass reads (default `DEFAULT_HISTORY_DAYS`). */
  historyDays?: number;
  /** Insights are recomputed at most this often (default 10 minutes) over `insightPeriodDays` (default 7). */
  insightIntervalMs?: number;
  insightPeriodDays?: number;
  /** Points in a pass (about three a run for the runs' series) from which a helper thread judges a share of them (default 100,000; Infinity: never). */
  helperPoints?: number;
  log?: Logger;
  now?: () => number;
}

/** Series a helper thread is judging during a pass. */
interface Helper {
  bridge: SyncBridge;
  calls: number[];
  series: SeriesPoints[];
  keys: Set<string>;
  points: number;
}

export interface PassReport {
  from: number;
  to: number;
  runs: number;
  points: number;
  /** Of them, judged by a helper thread (a pass catching up on a long history). */
  helperPoints: number;
  opened: number;
  closed: number;
  openAnomalies: number;
  insights: number;
  durationMs: number;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

const floorTo = (time: number, unit: number) => Math.floor(time / unit) * unit;

/** Runs that make a workflow's "recent" health. */
export const HEALTH_RECENT_RUNS = 20;
/**
 * Every workflow's health is read again at least this often (else only those with new runs): runs
 * that arrive later than the lateness allowed, and runs retention deletes, show within the hour.
 */
export const HEALTH_REFRESH_MS = HOUR;

/**
 * The helper thread's share of the points of the runs' series: this thread refreshes insights and
 * health besides (measured on a first pass over 90 days of 200 workflows, both end together).
 */
const HELPER_SHARE = 0.65;

/**
 * Runs the analysis on new data: every series of the fleet (run and step durations, failure
 * rate, volume, host CPU and memory) goes through its online detector, anomalies open, escalate
 * and close, close ones are correlated into incidents, insights are refreshed. Everything it
 * finds and the detectors' state are committed in one transaction per pass, so a restart carries on
 * where the last pass ended.
 */
export class AnalysisScheduler {
  readonly performance: PerformanceAnalyzer;
  readonly insights: InsightGenerator;
  private readonly store: Store;
  private readonly sensitivity: number;
  private readonly intervalMs: number;
  private readonly latenessMs: number;
  private readonly historyDays: number;
  private readonly insightIntervalMs: number;
  private readonly insightPeriodDays: number;
  private readonly helperPoints: number;
  private readonly now: () => number;
  private readonly log?: Logger;
  private readonly detectors = new Map<string, SeriesDetector>();
  /** Detectors' states as stored, or as a helper thread left them (JSON), for detectors not made yet. */
  private readonly storedStates: Map<string, StoredState>;
  /** Baselines of detectors a helper thread ran, as fitted there (a stored state alone is refitted). */
  private readonly storedBaselines = new Map<string, unknown>();
  private readonly openAnomalies = new Map<string, Anomaly>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private lastInsightsAt = 0;
  private healthRefreshedAt = -Infinity;
  lastReport?: PassReport;
  lastError?: string;
  /** When the last pass finished (wall clock), for the collector's own health. */
  lastPassAt?: number;
  /** Each workflow's latest runs against its recent past, as of the last pass. */
  health: WorkflowHealth[] = [];

  constructor(options: SchedulerOptions) {
    this.store = options.store;
    this.sensitivity = options.sensitivity ?? 4;
    this.intervalMs = options.intervalMs ?? 60_000;
    this.latenessMs = options.latenessMs ?? 60_000;
    this.historyDays = options.historyDays ?? DEFAULT_HISTORY_DAYS;
    this.insightIntervalMs = options.insightIntervalMs ?? 600_000;
    this.insightPeriodDays = options.insightPeriodDays ?? 7;
    this.helperPoints = options.helperPoints ?? 100_000;
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.performance = new PerformanceAnalyzer(this.store);
    this.insights = new InsightGenerator(this.performance, new AnomalyDetector(this.store, { sensitivity: this.sensitivity }));
    this.storedStates = this.store.loadDetectorStates() as Map<string, DetectorState>;
    for (const anomaly of this.store.listAnomalies({ status: 'open' })) this.openAnomalies.set(anomaly.seriesKey, anomaly);
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

  /** One pass over everything that arrived since the last one. */
  runPass(): PassReport {
    this.running = true;
    const started = performance.now();
    try {
      const now = this.now();
      const watermark = now - this.latenessMs;
      const cursor = (name: string, fallback: number) => Number(this.store.analysisValue(name) ?? fallback);
      const firstFrom = watermark - this.historyDays * DAY;
      const runsFrom = cursor('cursor.runs', firstFrom);
      const hoursFrom = cursor('cursor.hours', floorTo(firstFrom, HOUR));
      const hoursTo = Math.max(hoursFrom, floorTo(watermark, HOUR));
      const hostFrom = cursor('cursor.hosts', floorTo(firstFrom, HOST_BUCKET_MS));
      const hostTo = Math.max(hostFrom, floorTo(watermark, HOST_BUCKET_MS));

      const runFilter = { by: 'end' as const, from: runsFrom, to: Math.max(runsFrom, watermark) };
      // A first pass on a database with history reads all of it once: say so, it takes a while.
      const catchingUp = runFilter.to - runsFrom > DAY;
      if (catchingUp) {
        const days = Math.round((runFilter.to - runsFrom) / DAY);
        this.log?.info({ from: new Date(runsFrom).toISOString(), to: new Date(runFilter.to).toISOString() }, `analysis: catching up on ${days} days of stored runs in one pass (ingest and panels go on)`);
      }
      // Catching up on months: a helper thread judges volumes and hosts while this one reads the
      // runs, then a share of the runs' series while this one judges the rest and refreshes insights.
      // Every workflow has a volume point an hour: when those are enough, it starts before any read.
      const workflows = this.store.names('workflows');
      const volumePoints = workflows.length * wholeHours(hoursFrom, hoursTo);
      const early = volumePoints >= this.helperPoints;
      let helper = early ? this.startHelper(volumePoints) : undefined;
      const starts = hoursTo > hoursFrom ? this.store.hourlyStarts(hoursFrom, hoursTo) : [];
      const volumes = hourlySeries(starts, workflows, hoursFrom, hoursTo);
      if (!early) helper = this.startHelper(volumePoints + 3 * starts.reduce((sum, s) => sum + s.runs, 0));
      if (helper) this.hand(helper, volumes);
      const hosts = hostTo > hostFrom ? hostSeries(this.store.hostBuckets(hostFrom, hostTo, HOST_BUCKET_MS)) : [];
      if (helper) this.hand(helper, hosts);
      const finished = this.store.runOutlines(runFilter);
      // The failure series first, quick to build: the helper judges them while this thread builds
      // the duration series, then takes its share of those.
      const failures = failureSeries(finished, this.earlierRuns(finished, runsFrom));
      if (helper) this.hand(helper, failures);
      const durations = durationSeries(finished);
      if (helper) this.share(helper, durations, failures);
      const ofRuns = [...durations, ...failures];
      const series: SeriesPoints[] = [...ofRuns, ...volumes, ...hosts];

      const judged = new Map<string, { events: DetectorEvent[]; state: unknown }>();
      const judge = (list: readonly SeriesPoints[]) => {
        for (const { id, points } of list) {
          const detector = this.detector(id);
          // Written out by the commit below, before any detector sees another point.
          judged.set(id.key, { events: observeAll(detector, points), state: detector.currentState });
        }
      };
      judge(series.filter((s) => !helper?.keys.has(s.id.key)));

      // Insights and health read runs, not what the detectors found: meanwhile the helper works on.
      let insightCount = 0;
      if (now - this.lastInsightsAt >= this.insightIntervalMs) {
        insightCount = this.insights.generateFleetInsights({ analysisPeriodDays: this.insightPeriodDays, now }).length;
        this.insights.measureImplemented(now);
        this.lastInsightsAt = now;
      }
      this.health = this.workflowHealth({ runs: finished, ...runFilter }, now);

      let judgedByHelper = false;
      if (helper) {
        const results = this.finishHelper(helper);
        judgedByHelper = results !== undefined;
        if (results) {
          for (const { key, events, state, baseline } of results) {
            judged.set(key, { events, state });
            // The next pass's detector of the series resumes where the helper's ended, baseline and all.
            this.storedStates.set(key, state);
            if (baseline !== undefined) this.storedBaselines.set(key, baseline);
          }
        } else judge(helper.series);
      }
      const events: Array<{ series: SeriesId; event: DetectorEvent }> = [];
      const states = new Map<string, unknown>();
      let points = 0;
      for (const { id, points: list } of series) {
        points += list.length;
        const { events: found, state } = judged.get(id.key)!;
        for (const event of found) events.push({ series: id, event });
        states.set(id.key, state);
      }
      const { anomalies, incidents, opened, closed } = this.apply(events, finished, { from: hoursFrom, to: hoursTo });
      const values = { 'cursor.runs': String(runFilter.to), 'cursor.hours': String(hoursTo), 'cursor.hosts': String(hostTo) };
      this.store.commitAnalysis({ anomalies, incidents, detectorStates: states, values });
      const report: PassReport = {
        from: runsFrom,
        to: runFilter.to,
        runs: finished.length,
        points,
        helperPoints: judgedByHelper ? helper!.points : 0,
        opened,
        closed,
        openAnomalies: this.openAnomalies.size,
        insights: insightCount,
        durationMs: performance.now() - started,
      };
      this.lastReport = report;
      this.lastPassAt = Date.now();
      this.lastError = undefined;
      if (catchingUp) this.log?.info({ report }, `analysis: caught up on ${report.runs} runs (${report.points} points) in ${(report.durationMs / 1000).toFixed(1)} s`);
      else this.log?.debug({ report }, 'analysis pass done');
      return report;
    } finally {
      this.running = false;
    }
  }

  /**
   * Starts a helper thread when the pass is large (`points`: of the volumes, and about three a run
   * for the runs' series to come) and a second core can take a share. Undefined when this thread
   * judges all. Series are handed to it as they are built; series whose detectors live in this
   * thread stay here.
   */
  private startHelper(points: number): Helper | undefined {
    if (points < this.helperPoints || os.availableParallelism() < 2) return undefined;
    try {
      const helper: Helper = { bridge: new SyncBridge(path.join(__dirname, 'detectionHandler.ts'), {}, 60_000, 'detection'), calls: [], series: [], keys: new Set(), points: 0 };
      this.log?.debug({ points }, 'analysis: a helper thread judges volumes and hosts, then a share of the runs');
      return helper;
    } catch (error) {
      this.log?.warn({ err: error }, 'analysis: no helper thread, this one judges every series');
      return undefined;
    }
  }

  /**
   * Hands the helper the first of `series` until it has `HELPER_SHARE` of the points of those and of
   * `handed` (which it has already); the helper is through its volumes and hosts by then.
   */
  private share(helper: Helper, series: readonly SeriesPoints[], handed: readonly SeriesPoints[]): void {
    const count = (list: readonly SeriesPoints[]) => list.reduce((sum, s) => sum + s.points.length, 0);
    const total = count(series) + count(handed);
    const share: SeriesPoints[] = [];
    let points = count(handed);
    for (const s of series) {
      if (points >= HELPER_SHARE * total) break;
      share.push(s);
      points += s.points.length;
    }
    this.hand(helper, share);
  }

  private hand(helper: Helper, series: readonly SeriesPoints[]): void {
    const handed = series.filter((s) => !this.detectors.has(s.id.key));
    const packed = packSeries(handed, (key) => ({ state: this.storedStates.get(key), baseline: this.storedBaselines.get(key) }));
    // Copies of the points move to the helper: should it fail, this thread judges the same points.
    helper.calls.push(helper.bridge.begin('judge', [packed, this.sensitivity], packed.map((p) => p.points.buffer as ArrayBuffer)));
    for (const s of handed) {
      helper.series.push(s);
      helper.keys.add(s.id.key);
      helper.points += s.points.length;
    }
  }

  /** The helper's results, or undefined (said in the log) when it failed: this thread then judges its series. */
  private finishHelper(helper: Helper): JudgedSeries[] | undefined {
    try {
      // Generous: a helper judges a million points in a few seconds.
      return helper.calls.flatMap((call) => helper.bridge.finish<JudgedSeries[]>(call, 60_000 + helper.points / 10));
    } catch (error) {
      this.log?.warn({ err: error }, 'analysis: the helper thread failed, this one judges its series');
      return undefined;
    } finally {
      // The helper holds nothing to close, and one that did not answer would not answer `close` either.
      helper.bridge.terminate().catch(() => undefined);
    }
  }

  /**
   * The latest 20 finished runs of each workflow against the 7 days of runs before them. A pass
   * that read the runs that ended since `read.from` takes them from those where they reach back far
   * enough (a first pass on months of history), with the few that ended after its window; other
   * workflows' runs are read.
   */
  private workflowHealth(read: { runs: readonly RunOutline[]; from: number; to: number }, now: number): WorkflowHealth[] {
    let known: Map<string, RunOutline[]> | undefined;
    if (read.to - read.from > 7 * DAY) known = groupBy([...read.runs, ...this.store.runOutlines({ by: 'end', from: read.to })], (r) => r.workflow);
    // A workflow's health changes with its runs: between full refreshes, only workflows that
    // finished runs since the last pass are read again (a routine pass read 200 workflows' weeks).
    const full = now - this.healthRefreshedAt >= HEALTH_REFRESH_MS;
    if (full) this.healthRefreshedAt = now;
    const kept = new Map(full ? [] : this.health.map((h) => [h.workflow, h]));
    if (!full) for (const run of read.runs) kept.delete(run.workflow);
    return this.store.names('workflows').map((workflow) => {
      const health = kept.get(workflow);
      if (health) return health;
      const runs = known?.get(workflow) ?? [];
      if (runs.length >= HEALTH_RECENT_RUNS) {
        const recent = runs.slice(-HEALTH_RECENT_RUNS);
        const since = recent[0].endedAt!;
        if (since - 7 * DAY >= read.from) return workflowHealth(workflow, recent, runs.filter((r) => r.endedAt! >= since - 7 * DAY && r.endedAt! < since));
      }
      const recent = this.store.runs({ workflows: [workflow], by: 'end', last: HEALTH_RECENT_RUNS });
      const since = recent[0]?.endedAt;
      const baseline = since === undefined ? [] : this.store.runs({ workflows: [workflow], by: 'end', from: since - 7 * DAY, to: since });
      return workflowHealth(workflow, recent, baseline);
    });
  }

  /** For each workflow with new runs, the runs that ended just before them (the failure window's start). */
  private earlierRuns(runs: readonly RunOutline[], before: number): Map<string, Execution[]> {
    const workflows = [...new Set(runs.map((r) => r.workflow))];
    return new Map(workflows.map((w) => [w, this.store.runs({ workflows: [w], by: 'end', to: before, last: FAILURE_WINDOW_RUNS - 1 })]));
  }

  private detector(id: SeriesId): SeriesDetector {
    let detector = this.detectors.get(id.key);
    if (!detector) {
      detector = createDetector(id.metric, this.sensitivity, detectorState(this.storedStates.get(id.key)), this.storedBaselines.get(id.key));
      this.storedStates.delete(id.key);
      this.storedBaselines.delete(id.key);
      this.detectors.set(id.key, detector);
    }
    return detector;
  }

  /**
   * Turns detector events into anomaly records and correlates new anomalies into incidents. A
   * workflow's anomaly is on the hosts its runs used while it lasted: the pass's finished runs
   * and those started in its hours (read for the time the anomaly lasted).
   */
  private apply(events: Array<{ series: SeriesId; event: DetectorEvent }>, finished: readonly RunOutline[], hours: { from: number; to: number }) {
    const time = (e: DetectorEvent) => (e.type === 'opened' ? e.episode.startedAt : e.episode.lastSeenAt);
    events.sort((a, b) => time(a.event) - time(b.event));
    const changed = new Map<string, Anomaly>();
    const incidents = new Map<string, Incident>(
      this.store.listIncidents({ from: (events.length ? time(events[0].event) : this.now()) - DEFAULT_CORRELATION.sameHostWindowMs }).map((i) => [i.id, i]),
    );
    const touched = new Set<string>();
    let finishedByWorkflow: Map<string, RunOutline[]> | undefined;
    const hostsOf = (anomaly: Anomaly): string[] => {
      if (anomaly.host) return [anomaly.host];
      const [from, to] = [anomaly.startedAt, anomaly.lastSeenAt + HOUR];
      finishedByWorkflow ??= groupBy(finished, (r) => r.workflow);
      const workflows = [anomaly.workflow!];
      const started = Math.max(from, hours.from) < Math.min(to + 1, hours.to) ? this.store.runs({ workflows, from: Math.max(from, hours.from), to: Math.min(to + 1, hours.to) }) : [];
      const hosts = [...(finishedByWorkflow.get(anomaly.workflow!) ?? []), ...started]
        .filter((r) => r.startedAt >= from && r.startedAt <= to)
        .map((r) => r.host)
        .filter((h): h is string => !!h);
      return [...new Set(hosts)].sort();
    };
    let opened = 0;
    let closed = 0;
    for (const { series, event } of events) {
      const anomaly = applyEvent(series, event, this.openAnomalies.get(series.key));
      if (event.type === 'opened') {
        opened++;
        const incident = correlate(anomaly, [...incidents.values()], hostsOf);
        anomaly.incidentId = incident.id;
        incidents.set(incident.id, incident);
      }
      if (event.type === 'closed') {
        closed++;
        this.openAnomalies.delete(series.key);
      } else {
        this.openAnomalies.set(series.key, anomaly);
      }
      changed.set(anomaly.id, anomaly);
      const incident = anomaly.incidentId ? incidents.get(anomaly.incidentId) : undefined;
      if (incident) {
        incident.lastSeenAt = Math.max(incident.lastSeenAt, anomaly.lastSeenAt);
        touched.add(incident.id);
      }
    }
    const refreshed = [...touched]
      .map((id) => incidents.get(id))
      .filter((incident): incident is Incident => incident !== undefined)
      .map((incident) => {
        const members = incident.anomalyIds.map((a) => changed.get(a) ?? this.store.getAnomaly(a)).filter((a): a is Anomaly => !!a);
        return refresh(incident, members);
      });
    return { anomalies: [...changed.values()], incidents: refreshed, opened, closed };
  }
}
