import type { Anomaly } from '@rpa-analytics/contract';
import { applyEvent, describe as describeEpisode, formatDuration } from './anomalies';
import { RobustScorer } from './scorers';
import { createDetector, parseSeriesKey } from './seriesCatalog';
import { type DetectorEvent, type Episode, SeriesDetector } from './seriesDetector';

const SILENT_SINCE = Date.UTC(2026, 10, 17, 2, 10);

const episode = (over: Partial<Episode>): Episode => ({
  startedAt: 0,
  lastSeenAt: 0,
  points: 5,
  direction: 'high',
  firstSeverity: 0.5,
  peakSeverity: 0.6,
  peakScore: 5.1,
  expected: 1000,
  observed: 3000,
  normalRun: 0,
  ...over,
});

describe('what an anomaly says', () => {
  it.each([
    [
      'a failure rate by its count of failed runs against the usual rate',
      'failure_rate|Payroll||',
      { observed: 6, observedTrials: 10, expected: 0.055 },
      'failure rate of Payroll is unusually high: 6 of the last 10 runs failed, usually 5.5% fail (5.1 robust SDs, 5 points)',
    ],
    [
      'a failure rate on system errors by their count against their usual rate',
      'failure_rate|Payroll||',
      { observed: 3, observedTrials: 4, expected: 0.012, observedSystem: true },
      'failure rate of Payroll is unusually high: 3 of the last 4 runs failed on a system error, usually 1.2% do (5.1 robust SDs, 5 points)',
    ],
    [
      'a sub-second step in milliseconds',
      'step_duration|Claims|Login|',
      { observed: 12.4, expected: 3.2 },
      "step duration of step 'Login' of Claims is unusually high: 12 ms vs expected 3 ms (5.1 robust SDs, 5 points)",
    ],
    [
      'a long run in minutes',
      'run_duration|Claims||',
      { observed: 125_000, expected: 61_000 },
      'run duration of Claims is unusually high: 2.1 min vs expected 1.0 min (5.1 robust SDs, 5 points)',
    ],
    [
      'a drift by where recent points sit, whatever the latest',
      'run_duration|Claims||',
      { observed: 17_000, expected: 18_800, evidence: 'shift' as const },
      'run duration of Claims has shifted up: recent points sit above the expected 18.8 s (latest 17.0 s) (5.1 robust SDs, 5 points)',
    ],
    [
      'a spike the drift check holds open, by its latest point and its worst',
      'run_duration|Claims||',
      { observed: 41_600, expected: 41_000, evidence: 'shift' as const, worst: { z: 30, observed: 125_000, expected: 41_000 } },
      'run duration of Claims has shifted up: recent points sit above the expected 41.0 s (latest 41.6 s, 2.1 min at worst) (5.1 robust SDs, 5 points)',
    ],
    [
      'memory climbing toward full by its pace and when it is full',
      'host_memory|||vm-3',
      { observed: 63, expected: 32, lastSeenAt: 0, forecast: { perHour: 9, reachesAt: 4.1 * 3_600_000, limit: 100 } },
      'memory use of vm-3 is unusually high: 63% vs expected 32% (5.1 robust SDs, 5 points); rising 9% an hour, 100% in about 4.1 h',
    ],
    [
      "a robot's failures against its peers', by their count",
      'failure_rate||||robot-07',
      { observed: 3, observedTrials: 4, expected: 0.005 },
      "failure rate of robot robot-07 is unusually high: 3 of its last 4 runs failed on a system error while the other robots' runs of the same workflows did not, usually 0.5% of its runs do (5.1 robust SDs, 5 points)",
    ],
    [
      'a quiet hour as low',
      'volume|Claims||',
      { observed: 0, expected: 4, direction: 'low' as const },
      'runs per hour of Claims is unusually low: 0.0 vs expected 4.0 (5.1 robust SDs, 5 points)',
    ],
    [
      'a silence told within its first hour by how long it had lasted, an empty hour being that far out',
      'volume|Queue Worker||',
      { observed: 0, expected: 30, direction: 'low' as const, points: 0, peakScore: 11, silentSince: SILENT_SINCE, detectedAt: SILENT_SINCE + 24 * 60_000 },
      'runs per hour of Queue Worker is unusually low: no run has ended since 17 Nov, 02:10 UTC (24.0 min when told), usually 30.0 an hour (11.0 robust SDs for an empty hour)',
    ],
    [
      'the same silence once its hour was judged, by the hour',
      'volume|Queue Worker||',
      { observed: 0, expected: 30, direction: 'low' as const, points: 1, peakScore: 11, silentSince: SILENT_SINCE, detectedAt: SILENT_SINCE + 24 * 60_000 },
      'runs per hour of Queue Worker is unusually low: 0.0 vs expected 30.0 (11.0 robust SDs, 1 point)',
    ],
  ])('%s', (_, key, over, expected) => {
    expect(describeEpisode(parseSeriesKey(key), episode(over))).toBe(expected);
  });

  it('tells a silence whose hour did not bear it out, once closed, as one that ended', () => {
    const silence = episode({
      observed: 0,
      expected: 30,
      direction: 'low',
      points: 0,
      peakScore: 11,
      silentSince: SILENT_SINCE,
      detectedAt: SILENT_SINCE + 24 * 60_000,
    });
    expect(describeEpisode(parseSeriesKey('volume|Queue Worker||'), silence, true)).toBe(
      'runs per hour of Queue Worker is unusually low: no run ended from 17 Nov, 02:10 UTC for 24.0 min or more, usually 30.0 an hour (11.0 robust SDs for an empty hour); runs came back within the hour',
    );
  });

  it("puts a robot's series on its robot, with what to check on a robot", () => {
    const record = applyEvent(parseSeriesKey('failure_rate||||robot-07'), {
      type: 'opened',
      episode: episode({ observed: 3, observedTrials: 4, expected: 0.005 }),
    });
    expect(record).toMatchObject({ metric: 'failure_rate', robot: 'robot-07', trials: 4 });
    expect(record.workflow).toBeUndefined();
    expect(record.recommendedAction).toMatch(/^Robot robot-07 fails where the other robots on the same workflows do not: check its licence/);
  });

  it('tells how an episode went: the times it came back, and when it was taken as the new normal', () => {
    const series = parseSeriesKey('run_duration|Claims||');
    const start = Date.UTC(2026, 10, 23, 9, 3);
    const back = episode({ startedAt: start, evidence: 'shift', spells: 3, acceptedAt: Date.UTC(2026, 10, 24, 9, 3) });
    expect(applyEvent(series, { type: 'updated', episode: back }).description).toBe(
      'run duration of Claims has shifted up: recent points sit above the expected 1.0 s (latest 3.0 s) (5.1 robust SDs, 5 points); came back 2 times since 23 Nov, 09:03 UTC; taken as the new normal on 24 Nov, 09:03 UTC, and still moving',
    );
    const accepted = applyEvent(series, { type: 'closed', episode: episode({ startedAt: start }), endedAt: start + 86_400_000, acceptedAsNormal: true });
    expect(accepted.description).toMatch(/\(5\.1 robust SDs, 5 points\); taken as the new normal after a day: the baseline now starts from it$/);
    expect(applyEvent(series, { type: 'opened', episode: episode({ startedAt: start, spells: 2 }) }).id).toBe(
      applyEvent(series, { type: 'opened', episode: episode({ startedAt: start }) }).id,
    );
  });

  it.each([
    [0.4, '0 ms'],
    [999.4, '999 ms'],
    [1500, '1.5 s'],
    [59_940, '59.9 s'],
    [90_000, '1.5 min'],
    [5_400_000, '1.5 h'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('the direction an anomaly opens in', () => {
  it('when the drift check fires on a point below the expected value, then a series watched for highs opens high, by its shift', () => {
    const detector = new SeriesDetector(new RobustScorer({ transform: 'identity', seasonality: 'none', minSigma: 0.5 }), { direction: 'high' });
    // 100 points about 100, then about 103: no point beyond the threshold, a sustained shift.
    // The point the check fires on (found by running it) is made 97, below what is expected.
    let opened: { index: number; episode: Episode } | undefined;
    for (let i = 0; i < 200 && !opened; i++) {
      const value = i < 100 ? 100 + (((i * 7) % 5) - 2) : i === 113 ? 97 : 103 + (((i * 7) % 5) - 2) * 0.5;
      const [event] = detector.observe({ time: i * 60_000, value }).events;
      if (event) opened = { index: i, episode: event.episode };
    }
    expect(opened).toMatchObject({ index: 113, episode: { direction: 'high', evidence: 'shift', observed: 97, expected: 100 } });
  });

  it('when runs are 3x slower for a while and then back to normal, then the anomaly keeps its worst run beside its latest', () => {
    const series = parseSeriesKey('run_duration|Claims||');
    const MINUTE = 60_000;
    // A week of runs every 20 minutes about 40 s (the hours' baselines settled); then 12 runs 3x
    // slower, the slowest 126 s; then 40 s again.
    const usual = (i: number) => 40_000 * (1 + 0.02 * (((i * 7) % 5) - 2));
    const value = (i: number) => (i >= 504 && i < 516 ? (i === 507 ? 126_000 : 3 * usual(i)) : usual(i));
    const judge = (points: number) => {
      const detector = createDetector('run_duration', { sensitivity: 4 });
      let latest: Anomaly | undefined;
      for (let i = 0; i < points; i++) {
        for (const event of detector.observe({ time: i * 20 * MINUTE, value: value(i) }).events) latest = applyEvent(series, event, latest);
      }
      return latest!;
    };
    // Four runs back to normal: the drift check (the median of the last 20 points) holds it open.
    const held = judge(520);
    expect(held).toMatchObject({ status: 'open', observed: usual(519), worst: { observed: 126_000 } });
    expect(held.worst!.expected).toBeCloseTo(40_000, -3);
    expect(held.description).toMatch(/^run duration of Claims has shifted up: .*\(latest 40\.8 s, 2\.1 min at worst\)/);
    // Within the spike, at its worst point: nothing beside it.
    const atWorst = judge(508);
    expect(atWorst).toMatchObject({ observed: 126_000 });
    expect(atWorst.worst).toBeUndefined();
  });

  it("when the drift check opens on a point near normal, then a slower point after it is the anomaly's worst", () => {
    const detector = new SeriesDetector(new RobustScorer({ transform: 'identity', seasonality: 'none', minSigma: 0.5 }), { direction: 'high' });
    const series = parseSeriesKey('run_duration|Claims||');
    // 100 points about 100, then about 103: the drift check opens on a point of 97 (as above), then one of 108 comes.
    let latest: Anomaly | undefined;
    for (let i = 0; i < 115; i++) {
      const value = i < 100 ? 100 + (((i * 7) % 5) - 2) : i === 113 ? 97 : i === 114 ? 108 : 103 + (((i * 7) % 5) - 2) * 0.5;
      for (const event of detector.observe({ time: i * 60_000, value }).events) latest = applyEvent(series, event, latest);
    }
    expect(latest).toMatchObject({ observed: 108 });
    expect(latest!.worst).toBeUndefined();
    // A point back near normal after it: the 108 stays its worst.
    for (const event of detector.observe({ time: 115 * 60_000, value: 101 }).events) latest = applyEvent(series, event, latest);
    expect(latest).toMatchObject({ observed: 101, worst: { observed: 108 } });
    // A failure rate keeps none: its worst is told by its window.
    const failures = applyEvent(parseSeriesKey('failure_rate|Payroll||'), {
      type: 'updated',
      episode: episode({ observed: 3, observedTrials: 10, expected: 0.02, worst: { z: 9, observed: 6, expected: 0.02 } }),
    });
    expect(failures.worst).toBeUndefined();
  });

  it('when a failure on an error new to the fleet opens a failure rate, then it says which error, and how rare a new one was', () => {
    // A point a minute, each of a window of 10 runs, one in 20 holding a failure: a rate of 0.5%.
    const detector = createDetector('failure_rate', { sensitivity: 4 });
    for (let i = 0; i < 300; i++) detector.observe({ time: i * 60_000, value: i % 20 === 0 ? 1 : 0, trials: 10 });
    const failed = { time: 300 * 60_000, value: 1, trials: 10 };
    const newError = { pattern: 'Citrix session disconnected (code <n>)', errorType: 'system' as const, newErrors: 0, runs: 12_000, chance: 1 / 12_001 };
    // The same failure on a known error is one failure in ten runs at a 0.5% rate: nothing.
    const twin = createDetector('failure_rate', { sensitivity: 4 });
    for (let i = 0; i < 300; i++) twin.observe({ time: i * 60_000, value: i % 20 === 0 ? 1 : 0, trials: 10 });
    expect(twin.observe(failed).events).toEqual([]);
    const events: DetectorEvent[] = [];
    detector.observeInto(failed, events, newError);
    // 1 in 12,001 is 3.765 SDs (Python's NormalDist().inv_cdf): beyond the failure rate's 3.5.
    expect(events).toMatchObject([{ type: 'opened', episode: { startedAt: failed.time, detectedAt: failed.time, points: 1, newError } }]);
    expect(events[0].episode.peakScore).toBeCloseTo(3.7648, 3);
    const record = applyEvent(parseSeriesKey('failure_rate|Payroll||'), events[0]);
    expect(record.description).toBe(
      'failure rate of Payroll is unusually high: 1 of the last 10 runs failed, usually 0.5% fail (3.8 robust SDs, 1 point); a run failed on an error the fleet had not had in 7 days, ' +
        "system error 'Citrix session disconnected (code …)' (1 in 12,001: the fleet's 12,000 runs of the 7 days before had no other new error)",
    );
    expect(record.newError).toEqual({ pattern: 'Citrix session disconnected (code <n>)', errorType: 'system', newErrors: 0, runs: 12_000 });
    // A fleet that met 4 new errors among as many runs: 5 in 12,001 is 3.34 SDs, not beyond.
    const often = createDetector('failure_rate', { sensitivity: 4 });
    for (let i = 0; i < 300; i++) often.observe({ time: i * 60_000, value: i % 20 === 0 ? 1 : 0, trials: 10 });
    const none: DetectorEvent[] = [];
    often.observeInto(failed, none, { ...newError, newErrors: 4, chance: 5 / 12_001 });
    expect(none).toEqual([]);
  });

  it('when a failure rate comes back within two hours of a sustained episode, then it keeps the new error it came with, or takes the one that brought it back', () => {
    const MIN = 60_000;
    const newError = { pattern: 'Citrix session disconnected (code <n>)', errorType: 'system' as const, newErrors: 0, runs: 12_000, chance: 1 / 12_001 };
    // A point a minute at a 0.5% rate, then an episode of 130 minutes of 3 failures in 10 runs, closed by 10 normal points.
    const episodeThenBack = (first: { value: number; newError?: typeof newError }, back: { value: number; newError?: typeof newError }) => {
      const detector = createDetector('failure_rate', { sensitivity: 4 });
      for (let i = 0; i < 300; i++) detector.observe({ time: i * MIN, value: i % 20 === 0 ? 1 : 0, trials: 10 });
      const events: DetectorEvent[] = [];
      let t = 300;
      detector.observeInto({ time: t++ * MIN, value: first.value, trials: 10 }, events, first.newError);
      for (let i = 0; i < 130; i++) detector.observeInto({ time: t++ * MIN, value: 3, trials: 10 }, events);
      for (let i = 0; i < 10; i++) detector.observeInto({ time: t++ * MIN, value: 0, trials: 10 }, events);
      expect(events.map((e) => e.type)).toEqual(['opened', ...Array(130).fill('updated'), 'closed']);
      const again: DetectorEvent[] = [];
      detector.observeInto({ time: t * MIN, value: back.value, trials: 10 }, again, back.newError);
      expect(again).toMatchObject([{ type: 'opened', episode: { startedAt: 300 * MIN, spells: 2 } }]);
      return again[0].episode;
    };
    // Opened by a new error, brought back by a burst: it still names the error.
    expect(episodeThenBack({ value: 1, newError }, { value: 5 }).newError).toEqual(newError);
    // Opened by a burst, brought back by a new error: it names it.
    expect(episodeThenBack({ value: 5 }, { value: 1, newError }).newError).toEqual(newError);
  });

  it('when failures burst, then the failure-rate anomaly keeps the window it counted them in', () => {
    const detector = createDetector('failure_rate', { sensitivity: 4 });
    const events = [];
    for (let i = 0; i < 60; i++) events.push(...detector.observe({ time: i * 60_000, value: i % 20 === 0 ? 1 : 0, trials: 10 }).events);
    for (let i = 60; i < 70 && events.length === 0; i++) events.push(...detector.observe({ time: i * 60_000, value: 7, trials: 10 }).events);
    expect(events[0]).toMatchObject({ type: 'opened', episode: { direction: 'high', observed: 7, observedTrials: 10 } });
    expect(describeEpisode(parseSeriesKey('failure_rate|Payroll||'), events[0].episode)).toMatch(
      /^failure rate of Payroll is unusually high: 7 of the last 10 runs failed, usually \d+\.\d% fail/,
    );
  });
});
