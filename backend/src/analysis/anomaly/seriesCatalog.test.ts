import type { HostBuckets } from '../../store/store';
import type { RunOutline } from '../../store/store';
import {
  createDetector,
  durationSeries,
  failedOnRobot,
  failureSeries,
  HOST_BUCKET_MS,
  hostSeries,
  hourlySeries,
  observeAll,
  parseSeriesKey,
  robotFailureSeries,
  type RobotRun,
  seriesKey,
  workflowSilences,
} from './seriesCatalog';
import { PointList } from './pointList';

const T0 = Date.UTC(2026, 10, 2);
const HOUR = 3_600_000;

describe('hostSeries', () => {
  const plain = (series: ReturnType<typeof hostSeries>) =>
    series.map(({ id, points }) => [id.key, Array.from({ length: points.length }, (_, i) => points.at(i))]);

  it("gives each host its buckets' mean CPU and memory, and disk space where its agent tells it, the hosts whose buckets start first first", () => {
    // As the store gives them: hosts by name, sums and counts per bucket.
    const hosts: HostBuckets[] = [
      { host: 'vm-a', times: [T0 + HOST_BUCKET_MS], samples: [1], cpuPercent: [50], memoryPercent: [100], diskSamples: [0], diskPercent: [0] },
      // vm-b's agent tells its disk space in two of its buckets, in 1 of 2 samples and all 4.
      {
        host: 'vm-b',
        times: [T0, T0 + HOST_BUCKET_MS, T0 + 2 * HOST_BUCKET_MS],
        samples: [2, 1, 4],
        cpuPercent: [40, 70, 90],
        memoryPercent: [75, 0, 10],
        diskSamples: [1, 0, 4],
        diskPercent: [61, 0, 250],
      },
      { host: 'vm-c', times: [T0 + HOST_BUCKET_MS], samples: [3], cpuPercent: [30], memoryPercent: [60], diskSamples: [0], diskPercent: [0] },
    ];
    expect(plain(hostSeries(hosts))).toEqual([
      [
        'host_cpu|||vm-b',
        [
          { time: T0, value: 20 },
          { time: T0 + HOST_BUCKET_MS, value: 70 },
          { time: T0 + 2 * HOST_BUCKET_MS, value: 22.5 },
        ],
      ],
      [
        'host_memory|||vm-b',
        [
          { time: T0, value: 37.5 },
          { time: T0 + HOST_BUCKET_MS, value: 0 },
          { time: T0 + 2 * HOST_BUCKET_MS, value: 2.5 },
        ],
      ],
      [
        'host_disk|||vm-b',
        [
          { time: T0, value: 61 },
          { time: T0 + 2 * HOST_BUCKET_MS, value: 62.5 },
        ],
      ],
      ['host_cpu|||vm-a', [{ time: T0 + HOST_BUCKET_MS, value: 50 }]],
      ['host_memory|||vm-a', [{ time: T0 + HOST_BUCKET_MS, value: 100 }]],
      ['host_cpu|||vm-c', [{ time: T0 + HOST_BUCKET_MS, value: 10 }]],
      ['host_memory|||vm-c', [{ time: T0 + HOST_BUCKET_MS, value: 20 }]],
    ]);
    expect(hostSeries([])).toEqual([]);
  });
});

describe('hourlySeries', () => {
  it('gives every workflow a point for each whole hour in range, 0 where none started, counts of one hour summed', () => {
    const starts = [
      { workflow: 'Claims', hour: T0 + HOUR, runs: 2 },
      { workflow: 'Claims', hour: T0 + HOUR, runs: 1 },
      { workflow: 'Claims', hour: T0 + 3 * HOUR, runs: 4 },
      // Before the first whole hour in range, and after the last: left out.
      { workflow: 'Claims', hour: T0, runs: 9 },
      { workflow: 'Invoices', hour: T0 + 4 * HOUR, runs: 9 },
      { workflow: 'Invoices', hour: T0 + 2 * HOUR, runs: 5 },
    ];
    // From a minute past T0 to four hours and a half: the hours starting at T0+1h, +2h and +3h.
    const series = hourlySeries(starts, ['Claims', 'Idle', 'Invoices'], T0 + 60_000, T0 + 4.5 * HOUR);
    const plain = series.map(({ id, points }) => [id.key, Array.from({ length: points.length }, (_, i) => [points.at(i).time - T0, points.at(i).value])]);
    expect(plain).toEqual([
      [
        'volume|Claims||',
        [
          [HOUR, 3],
          [2 * HOUR, 0],
          [3 * HOUR, 4],
        ],
      ],
      [
        'volume|Idle||',
        [
          [HOUR, 0],
          [2 * HOUR, 0],
          [3 * HOUR, 0],
        ],
      ],
      [
        'volume|Invoices||',
        [
          [HOUR, 0],
          [2 * HOUR, 5],
          [3 * HOUR, 0],
        ],
      ],
    ]);
    expect(hourlySeries(starts, ['Claims'], T0 + HOUR, T0 + HOUR + 60_000)).toEqual([]);
  });
});

describe('workflowSilences', () => {
  const MINUTE = 60_000;
  it('gives each stretch of 10 minutes or more without a run ending, with the runs that ended in the hour before it; the last one open', () => {
    const ends = [0, 5, 30, 31, 50, 130].map((m) => T0 + m * MINUTE);
    expect(workflowSilences(ends)).toEqual([
      { from: T0 + 5 * MINUTE, to: T0 + 30 * MINUTE, runsBefore: 2 },
      { from: T0 + 31 * MINUTE, to: T0 + 50 * MINUTE, runsBefore: 4 },
      { from: T0 + 50 * MINUTE, to: T0 + 130 * MINUTE, runsBefore: 5 },
      // An hour before 130 reaches back to 70 (not included): none but itself.
      { from: T0 + 130 * MINUTE, to: Infinity, runsBefore: 1 },
    ]);
    // Those that start before `from` are left out; a 9-minute gap never was a silence.
    expect(workflowSilences(ends, T0 + 50 * MINUTE).map((s) => s.from)).toEqual([T0 + 50 * MINUTE, T0 + 130 * MINUTE]);
    expect(workflowSilences([T0, T0 + 9 * MINUTE])).toEqual([{ from: T0 + 9 * MINUTE, to: Infinity, runsBefore: 2 }]);
  });
});

describe('observeAll', () => {
  const MINUTE = 60_000;
  // Three days of 30 runs an hour, then Thursday 00:00 on: each test's hours.
  const history = () => {
    const detector = createDetector('volume', { sensitivity: 4 });
    observeAll(detector, PointList.of(Array.from({ length: 72 }, (_, h) => ({ time: T0 + h * HOUR, value: 30 }))));
    return detector;
  };
  const H = T0 + 72 * HOUR;

  it('tells a silence within the hour it is due in, before that hour is judged, and the hour judged goes on with the same episode', () => {
    // The last run ended at 23:55: 12 usual intervals of 2 minutes later is 00:19.
    const silences = { list: [{ from: H - 5 * MINUTE, to: Infinity, runsBefore: 30 }], until: H + 30 * MINUTE };
    const early = history();
    const events = observeAll(early, new PointList(), silences);
    expect(events.map((e) => [e.type, e.episode.startedAt, e.episode.detectedAt, e.episode.points, e.episode.silentSince])).toEqual([
      ['opened', H, H + 19 * MINUTE, 0, H - 5 * MINUTE],
    ]);
    // Not before the data reach 00:19.
    expect(observeAll(history(), new PointList(), { ...silences, until: H + 19 * MINUTE - 1 })).toEqual([]);
    // The hour's point, judged when it is whole, goes on with it: same start, told when the silence was.
    const later = observeAll(early, PointList.of([{ time: H, value: 0 }]), { ...silences, until: H + HOUR });
    expect(later.map((e) => [e.type, e.episode.startedAt, e.episode.detectedAt, e.episode.points])).toEqual([['updated', H, H + 19 * MINUTE, 1]]);
    // Judged later, the hour whole at once: the same episode, told at the same time.
    const whole = observeAll(history(), PointList.of([{ time: H, value: 0 }]), { ...silences, until: H + HOUR });
    expect(whole.map((e) => [e.type, e.episode.startedAt, e.episode.detectedAt, e.episode.points])).toEqual([
      ['opened', H, H + 19 * MINUTE, 0],
      ['updated', H, H + 19 * MINUTE, 1],
    ]);
  });

  it('does not tell a silence that ended before it was due, one after a slow hour, or one where an empty hour would not open an anomaly alone', () => {
    const until = H + 40 * MINUTE;
    const told = (silence: { from: number; to: number; runsBefore: number }, detector = history()) =>
      observeAll(detector, new PointList(), { list: [silence], until }).map((e) => e.episode.detectedAt);
    // Ended at 00:18, a minute before it was due.
    expect(told({ from: H - 5 * MINUTE, to: H + 18 * MINUTE, runsBefore: 30 })).toEqual([]);
    // 20 runs in the hour before: the workflow may run at up to 24.5 an hour (20 and one of their
    // standard deviations), so 12 intervals are 29.4 minutes.
    expect(told({ from: H - 5 * MINUTE, to: Infinity, runsBefore: 20 })).toEqual([H - 5 * MINUTE + Math.ceil((12 * HOUR) / (20 + Math.sqrt(20)))]);
    // 14 runs, under half the usual 30: left to the hourly points.
    expect(told({ from: H - 5 * MINUTE, to: Infinity, runsBefore: 14 })).toEqual([]);
    // 12 an hour: due at 00:30 after a silence from 23:30, but an empty hour is 6.9 robust SDs
    // low, short of the 8 that open an anomaly alone.
    const quiet = createDetector('volume', { sensitivity: 4 });
    observeAll(quiet, PointList.of(Array.from({ length: 72 }, (_, h) => ({ time: T0 + h * HOUR, value: 12 }))));
    expect(told({ from: H - 30 * MINUTE, to: Infinity, runsBefore: 12 }, quiet)).toEqual([]);
    // At 16 an hour, an empty hour is 8 robust SDs low: the same silence is told, 12 intervals of
    // 3.75 minutes after it began.
    const busier = createDetector('volume', { sensitivity: 4 });
    observeAll(busier, PointList.of(Array.from({ length: 72 }, (_, h) => ({ time: T0 + h * HOUR, value: 16 }))));
    expect(told({ from: H - 30 * MINUTE, to: Infinity, runsBefore: 16 }, busier)).toEqual([H + 15 * MINUTE]);
  });
});

describe('observeAll: what becomes of a silence', () => {
  const MINUTE = 60_000;
  const hourly = (hours: number, value: (h: number) => number) => {
    const detector = createDetector('volume', { sensitivity: 4 });
    observeAll(detector, PointList.of(Array.from({ length: hours }, (_, h) => ({ time: T0 + h * HOUR, value: value(h) }))));
    return detector;
  };
  const H = T0 + 72 * HOUR;

  it('tells none under 10 minutes, however busy the workflow: a pass that watches it and a history judged later agree', () => {
    // 100 an hour: 12 intervals are 7.2 minutes, but a silence is told from 10 on.
    const busy = () => hourly(72, () => 100);
    const open = { from: H + MINUTE, to: Infinity, runsBefore: 100 };
    expect(observeAll(busy(), new PointList(), { list: [open], until: H + 11 * MINUTE - 1 })).toEqual([]);
    expect(observeAll(busy(), new PointList(), { list: [open], until: H + 11 * MINUTE }).map((e) => e.episode.detectedAt)).toEqual([H + 11 * MINUTE]);
    // The same 9 minutes, over by the time the history is judged: nothing, as a pass watching it saw.
    expect(observeAll(busy(), new PointList(), { list: [{ ...open, to: H + 10 * MINUTE }], until: H + HOUR })).toEqual([]);
  });

  it("ends a silence its hour does not bear out at the hour's end; an hour beyond the threshold goes on with it at its own strength", () => {
    const silences = { list: [{ from: H - 5 * MINUTE, to: H + 40 * MINUTE, runsBefore: 30 }], until: H + HOUR };
    // The runs came back at 00:40: 25 in the hour.
    const back = observeAll(
      hourly(72, () => 30),
      PointList.of([{ time: H, value: 25 }]),
      silences,
    );
    expect(back.map((e) => [e.type, e.episode.startedAt, e.type === 'closed' ? e.endedAt : undefined])).toEqual([
      ['opened', H, undefined],
      ['closed', H, H + HOUR],
    ]);
    // 10 in the hour: 4.6 robust SDs low, beyond the threshold; the empty hour's 11.0 no longer its strength.
    const few = observeAll(
      hourly(72, () => 30),
      PointList.of([{ time: H, value: 10 }]),
      silences,
    );
    expect(few.map((e) => [e.type, e.episode.points, e.episode.peakScore.toFixed(1), e.episode.firstSeverity])).toEqual([
      ['opened', 0, '11.0', few[0].episode.firstSeverity],
      ['updated', 1, '4.6', few[0].episode.firstSeverity],
    ]);
  });

  it('takes the hour on the days of its week part where the hour of the week had more: a busy week is one count', () => {
    // Ten days from a Monday at 30 an hour, but 48 on the first Thursday's 00:00: the next Thursday
    // 00:00 expects 48, its 00:00 on weekdays 30. At 30, 12 intervals are 24 minutes (at 48, 15).
    const detector = hourly(240, (h) => (h === 72 ? 48 : 30));
    const thursday = T0 + 240 * HOUR;
    const events = observeAll(detector, new PointList(), {
      list: [{ from: thursday - 5 * MINUTE, to: Infinity, runsBefore: 48 }],
      until: thursday + 30 * MINUTE,
    });
    expect(events.map((e) => [e.episode.detectedAt, e.episode.expected])).toEqual([[thursday + 19 * MINUTE, 30]]);
  });
});

describe('failureSeries', () => {
  it('marks at each run which of its window failed, and which of those on a system error, the runs before included', () => {
    const run = (minute: number, status: RunOutline['status'], errorType?: RunOutline['errorType']): RunOutline => ({
      workflow: 'Claims',
      startedAt: T0 + minute * 60_000,
      endedAt: T0 + minute * 60_000 + 1000,
      status,
      ...(errorType ? { errorType } : {}),
      completedSteps: { names: [], times: [] },
    });
    const before = new Map([['Claims', [{ status: 'failed' as const, errorType: 'business' as const }, { status: 'completed' as const }]]]);
    // A business exception, a system error, a timeout (a system error too), one failure not told why, a run still going.
    const runs = [
      run(1, 'failed', 'business'),
      run(2, 'failed', 'system'),
      run(3, 'completed'),
      run(4, 'timeout', 'timeout'),
      run(5, 'failed'),
      run(6, 'running'),
    ];
    const [series] = failureSeries(runs, before);
    expect(series.id.key).toBe('failure_rate|Claims||');
    const points = Array.from({ length: series.points.length }, (_, i) => series.points.at(i));
    // Bit 0 is the latest run; the two runs before come first in the window.
    expect(points.map((p) => [p.value, p.trials, p.outcomes!.toString(2), p.systemOutcomes!.toString(2)])).toEqual([
      [2, 3, '101', '0'],
      [3, 4, '1011', '1'],
      [3, 5, '10110', '10'],
      [4, 6, '101101', '101'],
      [5, 7, '1011011', '1011'],
    ]);
  });
});

describe('robotFailureSeries', () => {
  const MINUTE = 60_000;
  const run = (minute: number, workflow: string, robot: string, status: RobotRun['status'] = 'completed', errorType?: RobotRun['errorType']): RobotRun => ({
    workflow,
    robot,
    startedAt: T0 + minute * MINUTE,
    endedAt: T0 + minute * MINUTE + 1000,
    status,
    ...(errorType ? { errorType } : {}),
  });
  const pointsOf = (series: ReturnType<typeof robotFailureSeries>, robot: string) => {
    const found = series.find((s) => s.id.robot === robot)!;
    return Array.from({ length: found.points.length }, (_, i) => found.points.at(i));
  };

  it("counts a robot's system failures while its peers on the same workflow ran fine, and only those", () => {
    const runs = [
      // Peers on Claims run fine; bot-1 fails on a system error there, then on an error of no stated type.
      run(0, 'Claims', 'bot-2'),
      run(1, 'Claims', 'bot-3'),
      run(2, 'Claims', 'bot-1', 'failed', 'system'),
      run(3, 'Claims', 'bot-1', 'failed'),
      // A business exception, an application error and a timeout are about the data or the application: not counted.
      run(4, 'Claims', 'bot-1', 'failed', 'business'),
      run(5, 'Claims', 'bot-1', 'failed', 'application'),
      run(6, 'Claims', 'bot-1', 'timeout', 'timeout'),
      // On Billing every robot fails on a system error: the workflow's problem, not bot-1's.
      run(7, 'Billing', 'bot-2', 'failed', 'system'),
      run(8, 'Billing', 'bot-3', 'failed', 'system'),
      run(9, 'Billing', 'bot-1', 'failed', 'system'),
      // Payroll: no other robot ran it, nothing tells bot-1's failure apart: a run that does not count.
      run(10, 'Payroll', 'bot-1', 'failed', 'system'),
      run(11, 'Claims', 'bot-1'),
    ];
    const series = robotFailureSeries(runs, () => T0);
    expect(series.find((s) => s.id.robot === 'bot-1')!.id).toEqual({ key: 'failure_rate||||bot-1', metric: 'failure_rate', robot: 'bot-1' });
    // bot-1's runs, bit 0 the latest: its two lone failures, then runs that do not count.
    expect(pointsOf(series, 'bot-1').map((p) => [p.value, p.trials, p.outcomes!.toString(2)])).toEqual([
      [1, 1, '1'],
      [2, 2, '11'],
      [2, 3, '110'],
      [2, 4, '1100'],
      [2, 5, '11000'],
      [2, 6, '110000'],
      [2, 7, '1100000'],
      [2, 8, '11000000'],
    ]);
    // bot-2's Billing failure: no peer run near it yet. bot-3's came after bot-2's on Billing: not alone.
    expect(series.map((s) => s.id.robot)).toEqual(['bot-2', 'bot-3', 'bot-1']);
    expect(pointsOf(series, 'bot-2').map((p) => [p.value, p.trials])).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(pointsOf(series, 'bot-3').map((p) => [p.value, p.trials])).toEqual([
      [0, 1],
      [0, 2],
    ]);
  });

  it('counts as a robot failure a failed run on a system error or of no stated type, not a cancelled run or a timeout', () => {
    const outcome = (status: RobotRun['status'], errorType?: RobotRun['errorType']) => failedOnRobot({ status, ...(errorType ? { errorType } : {}) });
    expect([outcome('failed', 'system'), outcome('failed')]).toEqual([true, true]);
    expect([
      outcome('failed', 'business'),
      outcome('failed', 'application'),
      outcome('timeout'),
      outcome('timeout', 'timeout'),
      outcome('cancelled'),
      outcome('completed'),
    ]).toEqual([false, false, false, false, false, false]);
  });

  it("when a burst begins on one robot's runs and its peers' runs fail after, then its failures stop counting against it; with no peer run near a failure, it does not count", () => {
    // Claims runs every 10 minutes, bot-1 and bot-2 in turn; from minute 60 every run fails on a
    // system error (a session broker down for everyone).
    const bot1 = (runs: Parameters<typeof robotFailureSeries>[0]) =>
      pointsOf(
        robotFailureSeries(runs, () => T0),
        'bot-1',
      );
    const runs = Array.from({ length: 12 }, (_, i) =>
      run(10 * i, 'Claims', i % 2 ? 'bot-2' : 'bot-1', i >= 6 ? 'failed' : 'completed', i >= 6 ? 'system' : undefined),
    );
    // bot-1's runs at minutes 0, 20, ..., 100. Its failure at minute 60 counts while bot-2's runs
    // of the hour before it ran fine and none after it had ended (minutes 10 to 50), and no longer
    // once one did and failed (minute 70: one of one in the hour after it); its failure at minute
    // 80 never counts (minutes 30 to 70: one of three failed in the hour before it).
    expect(bot1(runs).map((p) => p.value)).toEqual([0, 0, 0, 1, 0, 0]);
    // A burst about to end: bot-1's failures at minutes 40 and 50, just after bot-2's at 30, while
    // bot-2's three runs after them ran fine (one of four within the hour): not bot-1's.
    const ending = [
      run(0, 'Claims', 'bot-2'),
      run(30, 'Claims', 'bot-2', 'failed', 'system'),
      run(40, 'Claims', 'bot-1', 'failed', 'system'),
      run(50, 'Claims', 'bot-1', 'failed', 'system'),
      run(60, 'Claims', 'bot-2'),
      run(70, 'Claims', 'bot-2'),
      run(80, 'Claims', 'bot-2'),
      run(90, 'Claims', 'bot-1'),
    ];
    expect(bot1(ending).map((p) => p.value)).toEqual([0, 0, 0]);
    // The same failures with bot-2's run at 30 fine: its peers ran fine on both sides, they are bot-1's.
    const own = ending.map((r) => (r.robot === 'bot-2' ? { ...r, status: 'completed' as const, errorType: undefined } : r));
    expect(bot1(own).map((p) => p.value)).toEqual([1, 2, 2]);
    // A failure whose workflow no peer ran within an hour of it is not told apart.
    const alone = [run(0, 'Claims', 'bot-2'), run(10, 'Claims', 'bot-2'), run(150, 'Claims', 'bot-1', 'failed', 'system')];
    expect(bot1(alone).map((p) => [p.value, p.trials])).toEqual([[0, 1]]);
  });

  it('fills the windows with the runs before a robot is judged from, and makes no series for robots not judged', () => {
    const runs = [
      run(0, 'Claims', 'bot-2'),
      run(1, 'Claims', 'bot-1', 'failed', 'system'),
      run(2, 'Claims', 'bot-2'),
      run(3, 'Claims', 'bot-1', 'failed', 'system'),
    ];
    const series = robotFailureSeries(runs, (robot) => (robot === 'bot-1' ? T0 + 2 * MINUTE : undefined));
    expect(series.map((s) => s.id.key)).toEqual(['failure_rate||||bot-1']);
    expect(pointsOf(series, 'bot-1').map((p) => [p.time, p.value, p.trials])).toEqual([[T0 + 3 * MINUTE + 1000, 2, 2]]);
  });

  it("finds a robot that fails 80% of its runs within a few of them, while its peers' ordinary failures raise nothing", () => {
    // Three robots share two workflows for three weeks, a run every 10 minutes, 2% of them failing
    // on a system error anywhere; then bot-1 loses its licence: 4 of its runs in 5 fail at launch.
    const runs: RobotRun[] = [];
    const robots = ['bot-1', 'bot-2', 'bot-3'];
    const start = 21 * 24 * 6;
    let lost: number | undefined;
    for (let i = 0; i < start + 60; i++) {
      const robot = robots[i % 3];
      const licence = robot === 'bot-1' && i >= start;
      const fails = licence ? (i / 3) % 5 !== 2 : i % 50 === 7;
      if (licence && fails) lost ??= i;
      runs.push(run(10 * i, i % 2 ? 'Claims' : 'Billing', robot, fails ? 'failed' : 'completed', fails ? 'system' : undefined));
    }
    const series = robotFailureSeries(runs, () => T0);
    const opened = (robot: string) =>
      observeAll(createDetector('failure_rate', { sensitivity: 4 }), series.find((s) => s.id.robot === robot)!.points).filter((e) => e.type === 'opened');
    for (const peer of ['bot-2', 'bot-3']) expect(opened(peer)).toEqual([]);
    const [first, ...rest] = opened('bot-1');
    expect(rest).toEqual([]);
    // Opened at bot-1's third failure in a row (its runs 3 apart in the fleet's order).
    expect(first.episode.startedAt).toBe(runs[lost! + 6].endedAt);
  });

  it("keys a robot's series after the others, so the keys stored before robots had series stay as they were", () => {
    expect(seriesKey({ metric: 'failure_rate', workflow: 'Claims' })).toBe('failure_rate|Claims||');
    expect(seriesKey({ metric: 'failure_rate', robot: 'bot-1' })).toBe('failure_rate||||bot-1');
    expect(parseSeriesKey('failure_rate||||bot-1')).toEqual({ key: 'failure_rate||||bot-1', metric: 'failure_rate', robot: 'bot-1' });
    expect(parseSeriesKey('host_cpu|||vm-1')).toEqual({ key: 'host_cpu|||vm-1', metric: 'host_cpu', host: 'vm-1' });
  });
});

describe('series sized to their points', () => {
  it('builds every series of a first pass in shared memory of its exact size: a helper thread reads it with no copy', () => {
    const names = ['Open portal', 'Match PO lines', 'Post'];
    // Runs of one workflow share their array of step names, as the store's reader gives them; one run completed fewer steps, one a step twice.
    const run = (i: number, overrides: Partial<RunOutline> = {}): RunOutline => ({
      workflow: i % 3 === 0 ? 'Payroll' : 'Claims',
      startedAt: T0 + i * 10 * 60_000,
      endedAt: T0 + i * 10 * 60_000 + 60_000,
      durationMs: 60_000,
      status: 'completed',
      robot: `bot-${i % 4}`,
      completedSteps: { names, times: names.flatMap((_, k) => [T0 + i * 10 * 60_000 + k, 1000 + k]) },
      ...overrides,
    });
    const runs = [
      ...Array.from({ length: 40 }, (_, i) => run(i)),
      run(40, { completedSteps: { names: ['Open portal'], times: [T0 + 400 * 60_000, 900] } }),
      run(41, { completedSteps: { names: ['Open portal', 'Open portal'], times: [T0 + 410 * 60_000, 900, T0 + 410 * 60_000 + 5, 950] } }),
      run(42, { status: 'failed', errorType: 'system', durationMs: undefined }),
      run(43, { status: 'running', endedAt: undefined, durationMs: undefined }),
    ];
    const hosts: HostBuckets[] = [
      {
        host: 'vm-a',
        times: [T0, T0 + HOST_BUCKET_MS, T0 + 2 * HOST_BUCKET_MS],
        samples: [1, 1, 1],
        cpuPercent: [5, 6, 7],
        memoryPercent: [50, 50, 50],
        diskSamples: [1, 0, 1],
        diskPercent: [40, 0, 41],
      },
    ];
    const built = [
      durationSeries(runs),
      failureSeries(runs, new Map()),
      // bot-1's runs are judged from the 20th run's end on: the ones before only fill its window.
      robotFailureSeries(runs, (robot) => (robot === 'bot-1' ? T0 + 200 * 60_000 : T0)),
      hourlySeries([{ workflow: 'Claims', hour: T0 + 2 * HOUR, runs: 6 }], ['Claims', 'Payroll'], T0, T0 + 8 * HOUR, (workflow) => workflow === 'Claims'),
      hostSeries(hosts),
    ];
    const series = built.flat();
    expect(series.map((s) => [s.id.key, s.points.length])).toEqual([
      ['run_duration|Payroll||', 14],
      ['step_duration|Payroll|Open portal|', 14],
      ['step_duration|Payroll|Match PO lines|', 14],
      ['step_duration|Payroll|Post|', 14],
      ['run_duration|Claims||', 28],
      ['step_duration|Claims|Open portal|', 29],
      ['step_duration|Claims|Match PO lines|', 26],
      ['step_duration|Claims|Post|', 26],
      ['failure_rate|Payroll||', 15],
      ['failure_rate|Claims||', 28],
      ['failure_rate||||bot-0', 11],
      ['failure_rate||||bot-2', 11],
      ['failure_rate||||bot-3', 10],
      ['failure_rate||||bot-1', 6],
      ['volume|Claims||', 6],
      ['volume|Payroll||', 8],
      ['host_cpu|||vm-a', 3],
      ['host_memory|||vm-a', 3],
      ['host_disk|||vm-a', 2],
    ]);
    for (const { id, points } of series) {
      expect([id.key, points.shared, points.packed.buffer instanceof SharedArrayBuffer]).toEqual([id.key, true, true]);
      // Its own memory, not a copy: a copy is new at each call.
      expect(points.packed).toBe(points.packed);
    }
    // Each builder's series are parts of one block, exactly as large as their points: one allocation, not one a series.
    for (const list of built) {
      const blocks = new Set(list.map((s) => s.points.packed.buffer));
      const bytes = list.reduce((sum, s) => sum + s.points.packed.byteLength, 0);
      expect([blocks.size, [...blocks][0].byteLength]).toEqual([1, bytes]);
    }
    // And the points are the runs' and samples': the step completed twice, the disk's two buckets, the robot's last window.
    const valuesOf = (key: string) => {
      const { points } = series.find((s) => s.id.key === key)!;
      return Array.from({ length: points.length }, (_, i) => points.at(i));
    };
    expect(valuesOf('step_duration|Claims|Open portal|').slice(-3)).toEqual([
      { time: T0 + 400 * 60_000, value: 900 },
      { time: T0 + 410 * 60_000, value: 900 },
      { time: T0 + 410 * 60_000 + 5, value: 950 },
    ]);
    expect(valuesOf('host_disk|||vm-a')).toEqual([
      { time: T0, value: 40 },
      { time: T0 + 2 * HOST_BUCKET_MS, value: 41 },
    ]);
    expect(valuesOf('failure_rate||||bot-2').at(-1)).toEqual({ time: T0 + 421 * 60_000, value: 1, trials: 10, outcomes: 1 });
  });
});
