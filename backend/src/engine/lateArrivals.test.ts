import path from 'node:path';
import type { Anomaly } from '@rpa-analytics/contract';
import type { Execution, IngestBatch, ResourceSample } from '@rpa-analytics/contract';
import type { DetectorState } from '../analysis/anomaly/seriesDetector';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { hostSample, tempDir } from '../testing/harness';
import { AnalysisScheduler } from './analysisScheduler';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A Monday, 00:00 UTC: runs every 10 minutes from here. */
const T0 = Date.UTC(2026, 10, 2);
const WORKFLOW = 'Invoice Intake';
const HOST = 'rpa-vm-3';

/** A run every 10 minutes in [from, to), about a minute long (±5%, the same every time), unless `duration` says otherwise. */
function runs(from: number, to: number, duration: (startedAt: number) => number | undefined = () => undefined): Execution[] {
  const out: Execution[] = [];
  for (let t = from; t < to; t += 10 * MINUTE) {
    const durationMs = duration(t) ?? Math.round(MINUTE * (1 + 0.05 * Math.sin(t / (10 * MINUTE))));
    out.push({ id: `run-${t}`, workflow: WORKFLOW, robot: 'bot-1', host: HOST, startedAt: t, endedAt: t + durationMs, durationMs, status: 'completed' });
  }
  return out;
}

/** A sample a minute in [from, to): 15-35% CPU, unless `cpu` says otherwise. */
function samples(from: number, to: number, cpu: (time: number) => number | undefined = () => undefined): ResourceSample[] {
  const out: ResourceSample[] = [];
  for (let t = from; t < to; t += MINUTE) {
    out.push(hostSample(HOST, t, cpu(t) ?? 15 + ((t / MINUTE) % 21)));
  }
  return out;
}

const batch = (parts: Partial<IngestBatch>): IngestBatch => ({ executions: [], steps: [], samples: [], ...parts });
const summary = (anomalies: Anomaly[]) => anomalies.map((a) => `${a.seriesKey}@${new Date(a.startedAt).toISOString()}`).sort();

describe('analysis of data that arrives after the pass that would have judged it', () => {
  const tmp = tempDir();
  let store: SqliteStore;
  let clock = 0;
  const scheduler = () => new AnalysisScheduler({ store, now: () => clock, latenessMs: 0, historyDays: 30, insightIntervalMs: Infinity });
  let files = 0;
  beforeEach(() => {
    store = new SqliteStore({ file: path.join(tmp.dir, `late-${++files}.db`) });
  });
  afterEach(() => store.close());
  afterAll(() => tmp.cleanup());

  it('when the two weeks before are backfilled after the first pass, then it is judged as a history stored before the first pass would be', () => {
    const now = T0 + 14 * DAY;
    const spike = (t: number) => (t >= T0 + 5 * DAY && t < T0 + 5 * DAY + HOUR ? 4 * MINUTE : undefined);
    const saturated = (t: number) => (t >= T0 + 9 * DAY && t < T0 + 9 * DAY + 30 * MINUTE ? 97 : undefined);
    const history = batch({ executions: runs(T0, now, spike), samples: samples(T0, now, saturated) });
    const recent = (t: number) => t >= now - DAY;
    clock = now;

    // Stored before the first pass, judged in one.
    store.ingest(history);
    scheduler().runPass();
    const preloaded = summary(store.listAnomalies({}));
    expect(preloaded).toEqual([
      `host_cpu|||${HOST}@${new Date(T0 + 9 * DAY).toISOString()}`,
      `run_duration|${WORKFLOW}||@${new Date(T0 + 5 * DAY).toISOString()}`,
    ]);
    store.close();

    // The last day arrives first and is judged; the two weeks before it arrive after that pass.
    store = new SqliteStore({ file: path.join(tmp.dir, `late-${++files}.db`) });
    store.ingest(batch({ executions: history.executions.filter((r) => recent(r.startedAt)), samples: history.samples.filter((s) => recent(s.time)) }));
    const analysis = scheduler();
    analysis.runPass();
    expect(store.listAnomalies({})).toEqual([]);
    store.ingest(batch({ executions: history.executions.filter((r) => !recent(r.startedAt)), samples: history.samples.filter((s) => !recent(s.time)) }));
    clock += MINUTE;
    // Its workflow, its robot and its host.
    expect(analysis.runPass().late).toMatchObject({ families: 3, from: T0 });
    expect(summary(store.listAnomalies({}))).toEqual(preloaded);
  });

  it('when a buffered agent sends two hours of samples late, then the CPU saturation in them is found where it happened', () => {
    const now = T0 + 3 * DAY;
    const saturated = (t: number) => (t >= now - 90 * MINUTE && t < now - 60 * MINUTE ? 95 : undefined);
    store.ingest(batch({ samples: samples(T0, now - 2 * HOUR) }));
    clock = now;
    const analysis = scheduler();
    analysis.runPass();
    expect(store.listAnomalies({})).toEqual([]);

    store.ingest(batch({ samples: samples(now - 2 * HOUR, now, saturated) }));
    clock = now + MINUTE;
    const report = analysis.runPass();
    expect(report.late).toMatchObject({ families: 1, from: now - 2 * HOUR });
    expect(store.listAnomalies({})).toEqual([expect.objectContaining({ metric: 'host_cpu', host: HOST, startedAt: now - 90 * MINUTE, status: 'closed' })]);
  });

  it('when a run is reported only when it ends, 3 hours after it started, then its duration is an anomaly at its start and its hour counts it', () => {
    const now = T0 + 3 * DAY;
    store.ingest(batch({ executions: runs(T0, now - 3 * HOUR) }));
    clock = now;
    const analysis = scheduler();
    analysis.runPass();
    // Three hours without a run reported yet: runs per hour low, and nothing else.
    expect(store.listAnomalies({}).map((a) => [a.metric, a.direction])).toEqual([['volume', 'low']]);

    const started = now - 3 * HOUR;
    const long: Execution = {
      id: 'long-one',
      workflow: WORKFLOW,
      host: HOST,
      startedAt: started,
      endedAt: started + 3 * HOUR,
      durationMs: 3 * HOUR,
      status: 'completed',
    };
    store.ingest(batch({ executions: [long, ...runs(started + 10 * MINUTE, now)] }));
    clock = now + MINUTE;
    analysis.runPass();
    expect(store.listAnomalies({ metrics: ['run_duration'] })).toEqual([
      expect.objectContaining({ workflow: WORKFLOW, startedAt: started, observed: 3 * HOUR }),
    ]);
    // The hours are judged again with their runs: no longer low.
    expect(store.listAnomalies({ metrics: ['volume'] })).toEqual([]);
    // Its hour's volume as judged: the long run and the five after it (without it, 5).
    const volume = store.loadDetectorStates().get(`volume|${WORKFLOW}||`) as DetectorState;
    expect(volume.window.find((p) => p.time === started)?.value).toBe(6);
    expect(volume.window.filter((p) => p.time >= started - 5 * HOUR && p.time < started).map((p) => p.value)).toEqual([6, 6, 6, 6, 6]);
  });

  it('when a finished run is corrected, then it is judged again: a slow run raises an anomaly, and corrected back it is gone with its incident', () => {
    const now = T0 + 3 * DAY;
    const all = runs(T0, now);
    store.ingest(batch({ executions: all }));
    clock = now;
    const analysis = scheduler();
    analysis.runPass();
    expect(store.listAnomalies({})).toEqual([]);

    const target = all.find((r) => r.startedAt === T0 + 2 * DAY + 5 * HOUR)!;
    store.ingest(batch({ executions: [{ ...target, endedAt: target.startedAt + 40 * MINUTE, durationMs: 40 * MINUTE }] }));
    clock += MINUTE;
    expect(analysis.runPass().late).toMatchObject({ families: 2, from: target.startedAt });
    const [found] = store.listAnomalies({});
    expect(found).toMatchObject({ metric: 'run_duration', startedAt: target.startedAt, observed: 40 * MINUTE });
    expect(store.listIncidents({}).map((i) => i.anomalyIds)).toEqual([[found.id]]);

    store.ingest(batch({ executions: [target] }));
    clock += MINUTE;
    analysis.runPass();
    expect(store.listAnomalies({})).toEqual([]);
    expect(store.listIncidents({})).toEqual([]);
  });

  it('when a slow run is moved to another start or another workflow, then its anomaly leaves the place it left', () => {
    const now = T0 + 3 * DAY;
    const slowAt = T0 + 2 * DAY + 5 * HOUR;
    const all = runs(T0, now, (t) => (t === slowAt ? 40 * MINUTE : undefined));
    store.ingest(batch({ executions: all }));
    clock = now;
    const analysis = scheduler();
    analysis.runPass();
    const slow = all.find((r) => r.startedAt === slowAt)!;
    expect(summary(store.listAnomalies({}))).toEqual([`run_duration|${WORKFLOW}||@${new Date(slowAt).toISOString()}`]);

    // Reported with the wrong start: it ran 3 minutes later (beside the run of that slot, in the same hour).
    const later = { ...slow, startedAt: slowAt + 3 * MINUTE, endedAt: slowAt + 43 * MINUTE };
    store.ingest(batch({ executions: [later] }));
    clock += MINUTE;
    analysis.runPass();
    expect(summary(store.listAnomalies({}))).toEqual([`run_duration|${WORKFLOW}||@${new Date(slowAt + 3 * MINUTE).toISOString()}`]);

    // ...and of another workflow: this one has nothing left, and the other has too little history to judge it.
    store.ingest(batch({ executions: [{ ...later, workflow: 'Claims Intake' }] }));
    clock += MINUTE;
    expect(analysis.runPass().late.families).toBe(3);
    expect(store.listAnomalies({})).toEqual([]);
    expect(store.listIncidents({})).toEqual([]);
  });

  it('when a late run lands while an anomaly was closing, then the anomaly is found again, not opened anew', () => {
    const now = T0 + 3 * DAY;
    // Six slow runs from 10:00; three normal ones close the anomaly at 11:20 (its last slow point 10:50).
    const spike = (t: number) => (t >= T0 + 2 * DAY + 10 * HOUR && t < T0 + 2 * DAY + 11 * HOUR ? 4 * MINUTE : undefined);
    store.ingest(batch({ executions: runs(T0, now, spike) }));
    clock = now;
    const analysis = scheduler();
    analysis.runPass();
    const [before] = store.listAnomalies({});
    expect(before).toMatchObject({ lastSeenAt: T0 + 2 * DAY + 10 * HOUR + 50 * MINUTE, endedAt: T0 + 2 * DAY + 11 * HOUR + 20 * MINUTE });

    // A run of another robot, at 11:05, arrives late: after the anomaly's last point, before its end.
    const extra = { ...runs(T0 + 2 * DAY + 11 * HOUR + 5 * MINUTE, T0 + 2 * DAY + 11 * HOUR + 6 * MINUTE)[0], id: 'robot-2-run' };
    store.ingest(batch({ executions: [extra] }));
    clock += MINUTE;
    const report = analysis.runPass();
    expect(report).toMatchObject({ opened: 0, late: { families: 2, from: T0 + 2 * DAY + 11 * HOUR } });
    const [after] = store.listAnomalies({});
    expect(after).toMatchObject({ id: before.id, incidentId: before.incidentId, endedAt: T0 + 2 * DAY + 11 * HOUR + 10 * MINUTE });
  });

  it('when a stop arrives, then a pass judges the empty hours after the data so far, then the rest arrives, the stop stays one anomaly', () => {
    const now = T0 + 7 * DAY;
    // Runs every 10 minutes around the clock, none from 02:00 to 06:00 on day 4.
    const stop = { from: T0 + 4 * DAY + 2 * HOUR, to: T0 + 4 * DAY + 6 * HOUR };
    const all = runs(T0, now).filter((r) => r.startedAt < stop.from || r.startedAt >= stop.to);
    const sentFirst = (r: Execution) => r.startedAt < stop.to + 5 * HOUR;
    clock = now;
    const analysis = scheduler();
    store.ingest(batch({ executions: all.filter(sentFirst) }));
    analysis.runPass();
    // The hours after 11:00 are empty so far: the stop goes on past them, as far as this pass can tell.
    const [first] = store.listAnomalies({ metrics: ['volume'] });
    expect(first).toMatchObject({ startedAt: stop.from, direction: 'low' });
    expect(first.endedAt ?? Infinity).toBeGreaterThan(stop.to + 5 * HOUR);

    store.ingest(batch({ executions: all.filter((r) => !sentFirst(r)) }));
    clock += MINUTE;
    expect(analysis.runPass().late).toMatchObject({ families: 2, from: stop.to + 5 * HOUR });
    expect(store.listAnomalies({ metrics: ['volume'] })).toEqual([
      expect.objectContaining({ id: first.id, startedAt: stop.from, status: 'closed', direction: 'low' }),
    ]);
    expect(store.listAnomalies({ metrics: ['volume'] })[0].endedAt).toBeLessThanOrEqual(stop.to + 2 * HOUR);
    expect(store.listIncidents({}).map((i) => i.title)).toEqual([`${WORKFLOW}: no runs for 4 hours (usually 6.0 an hour)`]);
  });

  it('when a batch is sent again unchanged, then nothing is judged again and no anomaly is added', () => {
    const now = T0 + 3 * DAY;
    const spike = (t: number) => (t >= T0 + 2 * DAY && t < T0 + 2 * DAY + HOUR ? 4 * MINUTE : undefined);
    const sent = batch({ executions: runs(T0, now, spike), samples: samples(now - DAY, now) });
    store.ingest(sent);
    clock = now;
    const analysis = scheduler();
    analysis.runPass();
    const before = store.listAnomalies({});
    expect(summary(before)).toEqual([`run_duration|${WORKFLOW}||@${new Date(T0 + 2 * DAY).toISOString()}`]);
    const states = store.loadDetectorStates();

    store.ingest(sent);
    clock += MINUTE;
    const report = analysis.runPass();
    expect(report).toMatchObject({ runs: 0, points: 0, late: { families: 0, points: 0 }, opened: 0 });
    expect(store.listAnomalies({})).toEqual(before);
    expect(store.loadDetectorStates()).toEqual(states);
  });

  it('when runs retention archived are restored, then they are judged again and the anomalies are those found the first time, once', () => {
    // The spike on the third day: durations are judged from two days of history on.
    const now = T0 + 4 * DAY;
    const spike = (t: number) => (t >= T0 + 2 * DAY + 2 * HOUR && t < T0 + 2 * DAY + 3 * HOUR ? 4 * MINUTE : undefined);
    store.ingest(batch({ executions: runs(T0, now, spike) }));
    clock = now;
    const analysis = scheduler();
    analysis.runPass();
    const found = store.listAnomalies({});
    const incidents = store.listIncidents({});
    const states = store.loadDetectorStates();
    expect(summary(found)).toEqual([`run_duration|${WORKFLOW}||@${new Date(T0 + 2 * DAY + 2 * HOUR).toISOString()}`]);

    // Retention takes the first three days away (the archive holds them), then a restore sends them back.
    const archived = store.expiredRaw(T0 + 3 * DAY, 1000);
    expect(archived.executions).toHaveLength(3 * 24 * 6);
    store.deleteRaw(archived);
    clock += MINUTE;
    expect(analysis.runPass().late.families).toBe(0);
    store.ingest(archived);
    clock += MINUTE;
    expect(analysis.runPass().late).toMatchObject({ families: 2, from: T0 });
    expect(store.listAnomalies({})).toEqual(found);
    expect(store.listIncidents({})).toEqual(incidents);
    // Judged once: the detectors' windows hold what they held, each run once.
    const windows = (all: Map<string, unknown>) => new Map([...all].map(([key, state]) => [key, (state as DetectorState).window]));
    expect(windows(store.loadDetectorStates())).toEqual(windows(states));
    const durations = (store.loadDetectorStates().get(`run_duration|${WORKFLOW}||`) as DetectorState).window.map((p) => p.time);
    expect(new Set(durations).size).toBe(durations.length);
  });
});

describe('a pass that stops while it writes', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('when the collector stops between the slices of detector states and the commit, then the next pass judges every series again, each point once', () => {
    const now = T0 + 3 * DAY;
    const spike = (t: number) => (t >= T0 + 2 * DAY + 10 * HOUR && t < T0 + 2 * DAY + 11 * HOUR ? 4 * MINUTE : undefined);
    const first = batch({ executions: runs(T0, now - DAY), samples: samples(T0, now - DAY) });
    const second = batch({ executions: runs(now - DAY, now, spike), samples: samples(now - DAY, now) });
    const run = (file: string, failOnCommit?: number) => {
      const store = new SqliteStore({ file: path.join(tmp.dir, file) });
      let commits = 0;
      const failing = new Proxy(store, {
        get(target, property, receiver) {
          if (property === 'commitAnalysis' && failOnCommit !== undefined) {
            return (commit: Parameters<SqliteStore['commitAnalysis']>[0]) => {
              if (++commits === failOnCommit) throw new Error('the collector stopped');
              target.commitAnalysis(commit);
            };
          }
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const options = { now: () => now - DAY + MINUTE, latenessMs: 0, historyDays: 30, insightIntervalMs: Infinity, statesPerTransaction: 2 };
      store.ingest(first);
      new AnalysisScheduler({ store, ...options }).runPass();
      store.ingest(second);
      const later = { ...options, now: () => now + MINUTE };
      // Passes of its own: 7 series, 2 states a slice: a marker, 3 slices, then the commit.
      if (failOnCommit !== undefined) expect(() => new AnalysisScheduler({ store: failing, ...later }).runPass()).toThrow('the collector stopped');
      expect(store.analysisValue('states.torn')).toBe(failOnCommit === undefined ? '0' : '1');
      const report = new AnalysisScheduler({ store, ...later }).runPass();
      const result = {
        anomalies: summary(store.listAnomalies({})),
        windows: Object.fromEntries([...store.loadDetectorStates()].map(([key, s]) => [key, (s as DetectorState).window])),
        torn: store.analysisValue('states.torn'),
      };
      store.close();
      return { report, ...result };
    };
    const clean = run('clean.db');
    const stopped = run('stopped.db', 3);
    expect(clean.report.late.families).toBe(0);
    expect(stopped.report.late.families).toBe(3);
    expect(clean.anomalies).toEqual([`run_duration|${WORKFLOW}||@${new Date(T0 + 2 * DAY + 10 * HOUR).toISOString()}`]);
    expect(stopped.anomalies).toEqual(clean.anomalies);
    expect(stopped.windows).toEqual(clean.windows);
    expect(stopped.torn).toBe('0');
  });
});
