import { Random } from '../../sim/random';
import { median } from '../stats';
import { BinomialScorer, type Point, RobustScorer, SameTimeScorer, type Seasonality } from './scorers';
import { applyEvent } from './anomalies';
import { groupIncidents } from './incidents';
import { createDetector, parseSeriesKey } from './seriesCatalog';
import { type Episode, fourSignificant, pointSeverity, SeriesDetector } from './seriesDetector';
import { fridayEveningInLosAngeles, weekdayLoadFleet } from '../../testing/zonedFleet';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 2);

/** Durations around 10 s with 5% log-normal noise, one per minute. */
function normalRuns(count: number, seed = 1, start = T0): Array<{ time: number; value: number }> {
  const random = new Random(seed);
  return Array.from({ length: count }, (_, i) => ({ time: start + i * MINUTE, value: random.logNormal(10_000, 0.05) }));
}

const detector = (settings = {}) =>
  new SeriesDetector(new RobustScorer({ transform: 'log', seasonality: 'none', minSigma: 0.01 }), { minHistory: 30, ...settings });

describe('SeriesDetector', () => {
  it('judges nothing before it has the minimum history', () => {
    const d = detector();
    const verdicts = normalRuns(30).map((p) => d.observe(p).judgement);
    expect(verdicts.every((v) => !v.ready)).toBe(true);
    expect(d.observe({ time: T0 + 30 * MINUTE, value: 1e9 }).judgement.ready).toBe(true);
  });

  it('opens on the second point of a 1.4x level shift, dated from the first, and closes after 3 normal points', () => {
    const d = detector({ shiftWindow: 0 });
    for (const p of normalRuns(100)) expect(d.observe(p).events).toEqual([]);
    const shifted = normalRuns(10, 2, T0 + 100 * MINUTE).map((p) => ({ ...p, value: p.value * 1.4 }));
    const first = d.observe(shifted[0]);
    expect(first.judgement.exceeds).toBe(true);
    expect(first.events).toEqual([]);
    const second = d.observe(shifted[1]).events;
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ type: 'opened', episode: { startedAt: shifted[0].time, points: 2, direction: 'high' } });
    expect(Math.abs(second[0].episode.expected / 10_000 - 1)).toBeLessThan(0.03);
    for (const p of shifted.slice(2)) expect(d.observe(p).events.map((e) => e.type)).toEqual(['updated']);
    const back = normalRuns(3, 3, T0 + 110 * MINUTE).map((p) => d.observe(p).events);
    expect(back.map((events) => events.map((e) => e.type))).toEqual([[], [], ['closed']]);
    expect(d.episode).toBeUndefined();
  });

  it('is detected when the evidence of the point that opened it is complete, however early it began', () => {
    // Durations timed from their start are known at their end: the second shifted run's.
    const d = detector({ shiftWindow: 0, evidenceEnd: (p: Point) => p.time + p.value });
    normalRuns(100).forEach((p) => d.observe(p));
    const shifted = normalRuns(2, 2, T0 + 100 * MINUTE).map((p) => ({ ...p, value: p.value * 1.4 }));
    d.observe(shifted[0]);
    const [opened] = d.observe(shifted[1]).events;
    expect(opened.episode.startedAt).toBe(shifted[0].time);
    expect(opened.episode.detectedAt).toBe(shifted[1].time + shifted[1].value);
    // Without `evidenceEnd`, the point's own time.
    const plain = detector({ shiftWindow: 0 });
    normalRuns(100).forEach((p) => plain.observe(p));
    plain.observe(shifted[0]);
    expect(plain.observe(shifted[1]).events[0].episode.detectedAt).toBe(shifted[1].time);
  });

  it('ignores a lone point beyond the threshold but opens at once on an extreme one', () => {
    const d = detector();
    normalRuns(100).forEach((p) => d.observe(p));
    // 5% noise in log space: 1.3x is about 5 robust SDs, beyond the threshold of 4 but under 2 x 4.
    expect(d.observe({ time: T0 + 100 * MINUTE, value: 13_000 }).events).toEqual([]);
    expect(d.observe({ time: T0 + 101 * MINUTE, value: 10_000 }).events).toEqual([]);
    const extreme = d.observe({ time: T0 + 102 * MINUTE, value: 40_000 });
    expect(extreme.events.map((e) => e.type)).toEqual(['opened']);
    expect(extreme.events[0].episode.firstSeverity).toBe(1);
  });

  it('is online: a verdict never depends on points after it', () => {
    const points = [...normalRuns(80), ...normalRuns(20, 5, T0 + 80 * MINUTE).map((p) => ({ ...p, value: p.value * 1.4 }))];
    const full = detector();
    const fullVerdicts = points.map((p) => full.observe(p).judgement);
    const prefix = detector();
    const prefixVerdicts = points.slice(0, 90).map((p) => prefix.observe(p).judgement);
    expect(prefixVerdicts).toEqual(fullVerdicts.slice(0, 90));
  });

  it('resumes from a snapshot exactly where it left off (restart)', () => {
    const points = [
      ...normalRuns(60),
      ...normalRuns(10, 9, T0 + 60 * MINUTE).map((p) => ({ ...p, value: p.value * 2 })),
      ...normalRuns(10, 4, T0 + 70 * MINUTE),
    ];
    const straight = detector();
    const straightEvents = points.map((p) => straight.observe(p).events);
    const before = detector();
    const beforeEvents = points.slice(0, 65).map((p) => before.observe(p).events);
    const resumed = new SeriesDetector(
      new RobustScorer({ transform: 'log', seasonality: 'none', minSigma: 0.01 }),
      { minHistory: 30 },
      JSON.parse(JSON.stringify(before.snapshot())),
    );
    const afterEvents = points.slice(65).map((p) => resumed.observe(p).events);
    expect([...beforeEvents, ...afterEvents]).toEqual(straightEvents);
  });

  it('takes a shift that lasts longer than acceptAfterMs as the new normal and closes', () => {
    const d = detector({ acceptAfterMs: 30 * MINUTE, refitEvery: 5 });
    normalRuns(100).forEach((p) => d.observe(p));
    const shifted = normalRuns(200, 7, T0 + 100 * MINUTE).map((p) => ({ ...p, value: p.value * 2 }));
    const types = shifted.flatMap((p) => d.observe(p).events.map((e) => e.type));
    expect(types[0]).toBe('opened');
    expect(types).toContain('closed');
    expect(d.episode).toBeUndefined();
  });

  it('when a drift goes on past its acceptance, then what comes back is the same episode, which says so', () => {
    const d = detector({ acceptAfterMs: 60 * MINUTE, refitEvery: 5, rejoinMs: 120 * MINUTE });
    normalRuns(100).forEach((p) => d.observe(p));
    // 1% slower every run, for 400 runs: accepted after an hour, it keeps moving away from the new baseline.
    const drifting = normalRuns(400, 9, T0 + 100 * MINUTE).map((p, i) => ({ ...p, value: p.value * 1.01 ** i }));
    const events = drifting.flatMap((p) => d.observe(p).events);
    const starts = new Set(events.map((e) => e.episode.startedAt));
    expect(starts.size).toBe(1);
    const accepted = events.filter((e) => e.type === 'closed' && e.acceptedAsNormal);
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    const reopened = events.filter((e) => e.type === 'opened').slice(1);
    expect(reopened.length).toBeGreaterThanOrEqual(2);
    expect(reopened.map((e) => e.episode.spells)).toEqual(reopened.map((_, i) => i + 2));
    // Each spell is accepted an hour after it began, not at once because the episode began long ago.
    for (const e of accepted) expect((e as { endedAt: number }).endedAt - (e.episode.spellStartedAt ?? e.episode.startedAt)).toBe(60 * MINUTE);
    expect(reopened[0].episode.acceptedAt).toBe((accepted[0] as { endedAt: number }).endedAt);
  });

  it('when a sustained episode comes back within rejoinMs, then it continues; after it, in the other direction, or after a short spike, it is a new one', () => {
    const shiftBy = (factor: number, count: number, seed: number, start: number) =>
      normalRuns(count, seed, start).map((p) => ({ ...p, value: p.value * factor }));
    const opensAt = (d: SeriesDetector, points: Array<{ time: number; value: number }>) =>
      points
        .flatMap((p) => d.observe(p).events)
        .filter((e) => e.type === 'opened')
        .map((e) => e.episode.startedAt);
    const fresh = () => {
      const d = detector({ shiftWindow: 0, direction: 'both', rejoinMs: 30 * MINUTE, acceptAfterMs: 10 * 24 * 60 * MINUTE });
      normalRuns(100).forEach((p) => d.observe(p));
      return d;
    };
    // Sustained: 1.5x for 130 minutes (two hours and more), closed at minute 233.
    const sustained = () => {
      const d = fresh();
      expect(opensAt(d, [...shiftBy(1.5, 130, 2, T0 + 100 * MINUTE), ...normalRuns(3, 3, T0 + 230 * MINUTE)])).toEqual([T0 + 100 * MINUTE]);
      return d;
    };
    // Back up 20 minutes after its end (within 30): the same episode, one more spell.
    const within = sustained();
    expect(opensAt(within, [...normalRuns(20, 4, T0 + 233 * MINUTE), ...shiftBy(1.5, 3, 5, T0 + 253 * MINUTE)])).toEqual([T0 + 100 * MINUTE]);
    // Detected when it first opened (the second point of the first spell), not when it came back.
    expect(within.episode).toMatchObject({ startedAt: T0 + 100 * MINUTE, detectedAt: T0 + 101 * MINUTE, spells: 2, spellStartedAt: T0 + 253 * MINUTE });
    // Back up 40 minutes after its end (past 30): a new one.
    const after = sustained();
    expect(opensAt(after, [...normalRuns(40, 4, T0 + 233 * MINUTE), ...shiftBy(1.5, 3, 5, T0 + 273 * MINUTE)])).toEqual([T0 + 273 * MINUTE]);
    // Down instead of up, 5 minutes after its end: a new one.
    const down = sustained();
    expect(opensAt(down, [...normalRuns(5, 4, T0 + 233 * MINUTE), ...shiftBy(0.6, 3, 7, T0 + 238 * MINUTE)])).toEqual([T0 + 238 * MINUTE]);
    // A spike of 5 minutes that comes back 20 minutes after: two spikes, two episodes.
    const spiky = fresh();
    const spikes = [...shiftBy(1.5, 5, 2, T0 + 100 * MINUTE), ...normalRuns(23, 3, T0 + 105 * MINUTE), ...shiftBy(1.5, 3, 5, T0 + 128 * MINUTE)];
    expect(opensAt(spiky, spikes)).toEqual([T0 + 100 * MINUTE, T0 + 128 * MINUTE]);
  });

  it("when a duration series is younger than two days, then it is not judged: a first day's slow runs open nothing, the third day's do", () => {
    const d = createDetector('run_duration', { sensitivity: 4 });
    const random = new Random(3);
    const run = (time: number, factor = 1) => d.observe({ time, value: random.logNormal(30_000, 0.05) * factor });
    const TEN_MINUTES = 10 * MINUTE;
    // A day of runs every ten minutes (144: history enough by count), then two runs 3x slower.
    for (let i = 0; i < 144; i++) run(T0 + i * TEN_MINUTES);
    const firstDay = [run(T0 + 144 * TEN_MINUTES, 3), run(T0 + 145 * TEN_MINUTES, 3)];
    expect(firstDay.map((r) => [r.judgement.ready, r.events.length])).toEqual([
      [false, 0],
      [false, 0],
    ]);
    for (let i = 146; i < 2 * 144 + 10; i++) run(T0 + i * TEN_MINUTES);
    const thirdDay = [run(T0 + 298 * TEN_MINUTES, 3), run(T0 + 299 * TEN_MINUTES, 3)];
    expect(thirdDay.map((r) => r.judgement.ready)).toEqual([true, true]);
    // 3x is far enough out to open on one run.
    expect(thirdDay.flatMap((r) => r.events.map((e) => [e.type, e.episode.startedAt]))).toEqual([
      ['opened', T0 + 298 * TEN_MINUTES],
      ['updated', T0 + 298 * TEN_MINUTES],
    ]);
  });

  it("when runs are slower under weekday load than at weekends, then Monday's runs are judged against Friday's hours, not the weekend's faster ones", () => {
    // Runs every 5 minutes from a Friday: 15% slower than their base on weekdays, 4.5% at weekends
    // (the simulator's load). Per hour of the day, Friday's 12 runs an hour and the weekend's 24
    // put each hour's median at the weekend's level, and Monday's runs "shifted up" 10%. Per hour of
    // weekdays, Friday's 12 are enough: Monday is expected at Friday's level.
    const d = createDetector('run_duration', { sensitivity: 4 });
    const random = new Random(6);
    const friday = T0 + 4 * DAY;
    const monday = friday + 3 * DAY;
    const events: Array<[string, number]> = [];
    let mondayMorning: { expected: number; ready: boolean } | undefined;
    for (let time = friday; time < monday + DAY; time += 5 * MINUTE) {
      const weekend = [0, 6].includes(new Date(time).getUTCDay());
      const { events: seen, judgement } = d.observe({ time, value: random.logNormal(30_000, 0.02) * (weekend ? 1.045 : 1.15) });
      events.push(...seen.map((e): [string, number] => [e.type, e.episode.startedAt]));
      if (time === monday + 10 * HOUR) mondayMorning = judgement;
    }
    expect(events).toEqual([]);
    expect(mondayMorning!.ready).toBe(true);
    expect(Math.abs(mondayMorning!.expected / (30_000 * 1.15) - 1)).toBeLessThan(0.02);
    // A slowdown on Monday still opens.
    const slow = d.observe({ time: monday + DAY, value: 30_000 * 1.15 * 2 });
    expect(slow.events.map((e) => e.type)).toEqual(['opened']);
  });

  it('when the fleet works in Los Angeles, then its weekdays and weekends are its own: Friday evening there (Saturday in UTC) opens nothing', () => {
    // Runs every 10 minutes for three weeks, 15% slower under weekday load than at weekends, the
    // days being Los Angeles'. Bucketed by UTC's days, Friday 16:00 to 24:00 there shares weekend
    // hours with Saturday evening's faster runs, and looks slow.
    const runs = weekdayLoadFleet('America/Los_Angeles').filter((run) => run.workflow === 'Invoice Matching');
    const opened = (timeZone: string) => {
      const d = createDetector('run_duration', { sensitivity: 4, timeZone });
      const starts: string[] = [];
      for (const run of runs)
        for (const e of d.observe({ time: run.startedAt, value: run.durationMs! }).events)
          if (e.type === 'opened') starts.push(new Date(e.episode.startedAt).toISOString().slice(0, 13));
      return starts;
    };
    expect(opened('America/Los_Angeles')).toEqual([]);
    // In UTC: a slowdown on a Friday evening there, opened, closed and opened again that evening.
    const utc = opened('UTC');
    expect(utc.length).toBeGreaterThan(0);
    expect(utc.filter((hour) => !fridayEveningInLosAngeles(`${hour}:00:00Z`))).toEqual([]);
  });

  it("when a weekday hour has too few runs of its own, then it is judged against the overall median, unsettled: a young baseline's weekend opens no slowdown on Monday", () => {
    // Every 15 minutes from a Friday: by Tuesday noon an hour holds 8 weekday runs, short of 10.
    const d = createDetector('run_duration', { sensitivity: 4 });
    const random = new Random(6);
    const friday = T0 + 4 * DAY;
    const events: Array<[string, number]> = [];
    for (let time = friday; time < friday + 4 * DAY + 12 * HOUR; time += 15 * MINUTE) {
      const weekend = [0, 6].includes(new Date(time).getUTCDay());
      const { events: seen } = d.observe({ time, value: random.logNormal(30_000, 0.02) * (weekend ? 1.045 : 1.15) });
      events.push(...seen.map((e): [string, number] => [e.type, e.episode.startedAt]));
    }
    expect(events).toEqual([]);
    // A slowdown still opens, on one point far above that median.
    const slow = d.observe({ time: friday + 4 * DAY + 12 * HOUR, value: 30_000 * 1.15 * 2 });
    expect(slow.events.map((e) => e.type)).toEqual(['opened']);
  });

  it('when a detector resumes with a baseline saved per hour of the day, then it fits its window again per hour of the day on weekdays and at weekends', () => {
    const random = new Random(7);
    const points = Array.from({ length: 1500 }, (_, i) => ({ time: T0 + i * 10 * MINUTE, value: random.logNormal(30_000, 0.05) * (i % 144 < 72 ? 1 : 1.3) }));
    const before = new SeriesDetector(new RobustScorer({ transform: 'log', seasonality: 'hourOfDay', minSigma: 0.03 }), { direction: 'high', rarityPoints: 0 });
    for (const p of points) before.observe(p);
    const saved = before.fittedBaseline;
    expect((saved as { bucketMedians: Float64Array }).bucketMedians).toHaveLength(24);
    const resumed = createDetector('run_duration', { sensitivity: 4 }, before.snapshot(), saved);
    const refitted = createDetector('run_duration', { sensitivity: 4 }, before.snapshot());
    expect(resumed.baseline()).toEqual(refitted.baseline());
    expect(resumed.baseline()).toMatchObject({ seasonality: 'hourOfDayByWeekpart' });
    const next = { time: T0 + 1500 * 10 * MINUTE, value: 45_000 };
    expect(resumed.observe(next).judgement).toEqual(refitted.observe(next).judgement);
  });

  it('when a state kept before the two-day rule (no `since`) resumes, then it goes on judging, whatever its window holds', () => {
    const fresh = createDetector('run_duration', { sensitivity: 4 });
    const random = new Random(4);
    for (let i = 0; i < 200; i++) fresh.observe({ time: T0 + i * 10 * MINUTE, value: random.logNormal(30_000, 0.05) });
    // As stored by the version before: fitted, no `since`, its window's first point a day ago at most.
    const { since: _since, ...legacy } = structuredClone(fresh.currentState);
    legacy.window = legacy.window.slice(-100);
    const resumed = createDetector('run_duration', { sensitivity: 4 }, legacy);
    const slow = resumed.observe({ time: T0 + 200 * 10 * MINUTE, value: 90_000 });
    expect([slow.judgement.ready, slow.events.map((e) => e.type)]).toEqual([true, ['opened']]);
  });

  it('when a sustained episode comes back within rejoinMs after its series went back to its level, or twice as far out, then it is a new one, marked distinct', () => {
    const scaled = (points: Array<{ time: number; value: number }>, factor: number) => points.map((p) => ({ ...p, value: p.value * factor }));
    const openings = (d: SeriesDetector, points: Array<{ time: number; value: number }>) =>
      points.flatMap((p) => d.observe(p).events).filter((e) => e.type === 'opened');
    // A host's slow morning: 1.5x for 130 minutes, closed at minute 233; rejoinMs a day, as the analysis has it.
    const afterSlowMorning = () => {
      const d = detector({ shiftWindow: 0, rejoinMs: 24 * 60 * MINUTE, acceptAfterMs: 10 * 24 * 60 * MINUTE, maxWindowPoints: 5000 });
      normalRuns(100).forEach((p) => d.observe(p));
      expect(openings(d, [...scaled(normalRuns(130, 2, T0 + 100 * MINUTE), 1.5), ...normalRuns(3, 3, T0 + 230 * MINUTE)])).toHaveLength(1);
      return d;
    };
    const back = T0 + 233 * MINUTE + 180 * MINUTE;
    // Three hours at its usual level, then 1.5x again: a new problem on the same series.
    const returned = openings(afterSlowMorning(), [...normalRuns(180, 4, T0 + 233 * MINUTE), ...scaled(normalRuns(3, 5, back), 1.5)]);
    expect(returned.map((e) => [e.episode.startedAt, e.episode.spells, e.episode.distinct])).toEqual([[back, undefined, true]]);
    // Three hours still 7% above it (no point beyond the threshold), then 1.5x: the same episode going on.
    const held = openings(afterSlowMorning(), [...scaled(normalRuns(180, 4, T0 + 233 * MINUTE), 1.07), ...scaled(normalRuns(3, 5, back), 1.5)]);
    expect(held.map((e) => [e.episode.startedAt, e.episode.spells, e.episode.distinct])).toEqual([[T0 + 100 * MINUTE, 2, undefined]]);
    // Twenty minutes at its level (a flap), then 1.5x: the same episode.
    const flap = openings(afterSlowMorning(), [...normalRuns(20, 4, T0 + 233 * MINUTE), ...scaled(normalRuns(3, 5, T0 + 253 * MINUTE), 1.5)]);
    expect(flap.map((e) => e.episode.startedAt)).toEqual([T0 + 100 * MINUTE]);
    // Twenty minutes after it, 4x: twice as far out, a new problem.
    const spike = openings(afterSlowMorning(), [...normalRuns(20, 4, T0 + 233 * MINUTE), ...scaled(normalRuns(3, 5, T0 + 253 * MINUTE), 4)]);
    expect(spike.map((e) => [e.episode.startedAt, e.episode.distinct])).toEqual([[T0 + 253 * MINUTE, true]]);
  });

  /**
   * Feeds `detector` the means of `flat` (evenly spaced), then a climb from `from` by `perHour`
   * (with normal noise) until it opens or `hours` pass: the episode it opened, and the value it
   * opened at.
   */
  function climbUntilOpened(detector: SeriesDetector, flat: Point[], climb: { from: number; perHour: number; noise: number; hours: number }, random: Random) {
    const step = flat[1].time - flat[0].time;
    const perHour = 3_600_000 / step;
    flat.forEach((p) => detector.observe(p));
    let opened: Episode | undefined;
    let at = 0;
    for (let i = 1; i <= climb.hours * perHour && !opened; i++) {
      at = climb.from + (climb.perHour * i) / perHour + climb.noise * random.normal();
      opened = detector.observe({ time: flat[flat.length - 1].time + i * step, value: at }).events.find((e) => e.type === 'opened')?.episode;
    }
    return { opened, at };
  }

  it('when memory climbs steadily toward full, then it opens below the floor, with its pace and when it is full; a busy but flat host does not', () => {
    const FIVE = 5 * MINUTE;
    const memory = () => createDetector('host_memory', { sensitivity: 4 });
    const random = new Random(5);
    // A day at about 35% (5-minute means), then 9% more every hour.
    const flat = Array.from({ length: 288 }, (_, i) => ({ time: T0 + i * FIVE, value: 35 + 3 * random.normal() }));
    const { opened, at } = climbUntilOpened(memory(), flat, { from: 35, perHour: 9, noise: 3, hours: 8 }, random);
    expect(opened).toBeDefined();
    // Found below the 80% floor, once full is within 6 hours at its pace: from about 46% on.
    expect(at).toBeLessThan(70);
    expect(opened!.forecast!.perHour).toBeGreaterThan(7);
    expect(opened!.forecast!.perHour).toBeLessThan(11);
    expect(opened!.forecast!.reachesAt - opened!.lastSeenAt).toBeLessThanOrEqual(6 * 3_600_000);
    // The same host busy at 65% for hours, not climbing: nothing.
    const busy = memory();
    const events = [...flat, ...Array.from({ length: 96 }, (_, i) => ({ time: T0 + (288 + i) * FIVE, value: 65 + 3 * random.normal() }))].flatMap(
      (p) => busy.observe(p).events,
    );
    expect(events).toEqual([]);
  });

  it('when disk space used climbs steadily toward full, then it opens below the floor and says when it is full, its incident named by the host; a full but flat disk does not', () => {
    const FIVE = 5 * MINUTE;
    const random = new Random(8);
    // Two days at about 55% of the volume (5-minute means), then 8% more every hour: a clean-up
    // job stopped and screenshots pile up.
    const flat = Array.from({ length: 576 }, (_, i) => ({ time: T0 + i * FIVE, value: 55 + 0.5 * random.normal() }));
    const { opened, at } = climbUntilOpened(createDetector('host_disk', { sensitivity: 4 }), flat, { from: 55, perHour: 8, noise: 0.5, hours: 6 }, random);
    expect(opened).toBeDefined();
    // Full within 6 hours at its pace: well below the 80% floor.
    expect(at).toBeLessThan(70);
    expect(opened!.forecast!.perHour).toBeGreaterThan(6.5);
    expect(opened!.forecast!.perHour).toBeLessThan(9);
    const anomaly = applyEvent(parseSeriesKey('host_disk|||vm-3'), { type: 'opened', episode: opened! });
    expect(anomaly).toMatchObject({ metric: 'host_disk', host: 'vm-3', forecast: opened!.forecast });
    expect(anomaly.description).toMatch(
      /^disk space used of vm-3 is unusually high: 6\d% vs expected 55% \(.*\); rising [78]% an hour, 100% in about [3-5]\.\d h$/,
    );
    expect(anomaly.recommendedAction).toMatch(/^Host vm-3 is running out of disk space/);
    expect(groupIncidents([anomaly], (a) => ({ hosts: [a.host!] }))[0].title).toMatch(/^vm-3: disk 6\d% and rising [78]% an hour$/);
    // A disk that has sat at 88% for days, not climbing: nothing.
    const full = createDetector('host_disk', { sensitivity: 4 });
    const events = Array.from({ length: 576 + 72 }, (_, i) => ({ time: T0 + i * FIVE, value: 88 + 0.5 * random.normal() })).flatMap(
      (p) => full.observe(p).events,
    );
    expect(events).toEqual([]);
  });

  it('finds a slow drift that no single point gives away, through the sustained-shift check', () => {
    const random = new Random(11);
    // 200 stable runs, then 2% slower per 10 runs: each run alone is within 2 robust SDs of the last ones.
    const values = Array.from({ length: 400 }, (_, i) => 10_000 * Math.exp(0.05 * random.normal()) * (i < 200 ? 1 : 1 + (0.02 * (i - 200)) / 10));
    const withShift = detector();
    const withoutShift = detector({ shiftWindow: 0 });
    const opened = (d: SeriesDetector) => values.findIndex((value, i) => d.observe({ time: T0 + i * MINUTE, value }).events.some((e) => e.type === 'opened'));
    const found = opened(withShift);
    expect(found).toBeGreaterThan(200);
    // Found before the runs are 15% slower (75 runs into the drift), and before a point-by-point check would.
    expect(found).toBeLessThan(275);
    const pointOnly = opened(withoutShift);
    expect(pointOnly === -1 || pointOnly > found).toBe(true);
  });

  it('keeps a clean series quiet: 5,000 stable runs raise nothing', () => {
    const d = detector();
    const events = normalRuns(5000, 21).flatMap((p) => d.observe(p).events);
    expect(events).toEqual([]);
  });

  it('rates severity 0.4 at the threshold, 0.7 at twice it and 1 from three times on', () => {
    expect([pointSeverity(3.5, 3.5), pointSeverity(7, 3.5), pointSeverity(10.5, 3.5), pointSeverity(50, 3.5)]).toEqual([0.4, 0.7, 1, 1]);
  });
});

describe('BinomialScorer', () => {
  it('rates a failure burst by how improbable it is: severity 0.7 at 1.5 SDs beyond the threshold, 1 from 3 beyond', () => {
    expect(pointSeverity(5.5, 4, 3)).toBeCloseTo(0.7, 10);
    expect(pointSeverity(7, 4, 3)).toBe(1);
    // Ten failures in a row at a 5% rate is as severe as it gets; the same z of a duration would not be.
    const detector = createDetector('failure_rate', { sensitivity: 4 });
    for (let i = 0; i < 1000; i++) detector.observe({ time: i, value: i % 2, trials: 10, outcomes: i % 2 });
    const events = Array.from(
      { length: 10 },
      (_, i) => detector.observe({ time: 1000 + i, value: i + 1, trials: 10, outcomes: 2 ** (i + 1) - 1 }).events,
    ).flat();
    expect(events.at(-1)!.episode.peakSeverity).toBe(1);
    expect(pointSeverity(events.at(-1)!.episode.peakScore, 4)).toBeLessThan(1);
  });

  // The rates below are known from 1000 runs (one a point): the tails are beta-binomial, Beta(rate x
  // 1000 + 0.5, (1 - rate) x 1000 + 0.5), close to the binomial at the rate; the z's are SciPy's
  // (scipy.stats.betabinom.sf, then norm.isf of the tail times the windows tried).
  it('scores failures by their exact tail against the pooled rate', () => {
    const scorer = new BinomialScorer();
    scorer.fit(Array.from({ length: 1000 }, (_, i) => ({ time: i, value: i % 5 === 0 ? 1 : 0, trials: 10 })));
    // pooled rate 200 / 10,000 = 2%; 6 of 10 failing has a tail of about 2.7e-8: far out.
    expect(scorer.score({ time: 0, value: 6, trials: 10 }).z).toBeCloseTo(5.435, 2);
    // One failure out of one run is a 2% event, not a burst.
    expect(scorer.score({ time: 0, value: 1, trials: 1 }).z).toBeCloseTo(2.044, 2);
    expect(scorer.score({ time: 0, value: 0, trials: 10 }).z).toBe(0);
    expect(scorer.score({ time: 0, value: 0, trials: 0 })).toEqual({ z: 0, expected: 0.02 });
  });

  it('when the latest runs failed in a row, then the window of them scores, corrected for the windows tried', () => {
    const scorer = new BinomialScorer();
    scorer.fit(Array.from({ length: 1000 }, (_, i) => ({ time: i, value: i % 2 === 0 ? 1 : 0, trials: 10 })));
    // Pooled rate 500 / 10,000 = 5%. Four failures among ten: P = 1.2e-3, z about 3.04 by count alone.
    expect(scorer.score({ time: 0, value: 4, trials: 10 }).z).toBeCloseTo(3.044, 2);
    // The same four are the last four runs: P(4 of 4) = 7.2e-6, times 8 windows = 5.8e-5: z about 3.86.
    const inARow = scorer.score({ time: 0, value: 4, trials: 10, outcomes: 0b1111 });
    expect(inARow.window).toEqual({ failures: 4, trials: 4 });
    expect(inARow.z).toBeCloseTo(3.855, 2);
    // Spread over the ten, they are no more than their count.
    expect(scorer.score({ time: 0, value: 4, trials: 10, outcomes: 0b1001001001 })).toEqual({ z: expect.closeTo(3.044, 2), expected: 0.05 });
    // At a sensitivity of 4, failures open at 3.5 (their tail is exact): four in a row (z about 3.86)
    // open the anomaly on that run alone (the window holds the runs before it), which tells those
    // four; three in a row (z about 3.07) do not.
    const detector = createDetector('failure_rate', { sensitivity: 4 });
    // 5% fail: one failure among every ten runs, the latest's outcomes shifting through.
    for (let i = 0; i < 1000; i++) detector.observe({ time: i, value: i % 2, trials: 10, outcomes: i % 2 });
    const observe = (mask: number, i: number) => detector.observe({ time: 1000 + i, value: i + 1, trials: 10, outcomes: mask }).events;
    expect([0b1, 0b11, 0b111].flatMap(observe)).toEqual([]);
    expect(observe(0b1111, 3)).toEqual([expect.objectContaining({ type: 'opened', episode: expect.objectContaining({ observed: 4, observedTrials: 4 }) })]);
  });
});

describe('BinomialScorer over windows of more runs than 31', () => {
  it('when failures lie beyond the 31st latest run, then the scan counts them as it counts the latest', () => {
    const scorer = new BinomialScorer();
    scorer.fit(Array.from({ length: 1000 }, (_, i) => ({ time: i, value: i % 2 === 0 ? 1 : 0, trials: 10 })));
    // Of 60 runs at 5%: the latest three failed, and the 32nd to the 40th latest (nine).
    const failed = 2 ** 40 - 2 ** 31 + 0b111;
    const both = scorer.score({ time: 0, value: 12, trials: 60, outcomes: failed });
    // The least likely window is the latest forty: twelve of them failed.
    expect(both.window).toEqual({ failures: 12, trials: 40 });
    expect(both.z).toBeCloseTo(3.865, 2);
    // The latest three alone, among forty: their run of three is the least likely window.
    expect(scorer.score({ time: 0, value: 3, trials: 40, outcomes: 0b111 }).window).toEqual({ failures: 3, trials: 3 });
  });
});

describe('BinomialScorer on a rate known from few runs', () => {
  // A first day: 80 runs, one failed (1.25%). Three failures among the last ten: z 3.52 at the rate
  // itself (over the 3.5 that opens), 2.85 as the beta-binomial of a rate known from 80 runs, 3.47
  // from 2000 runs at the same rate. Three in a row (8 windows tried): z 4.16 at the rate, 3.55 as known.
  const baseline = (runs: number) => Array.from({ length: runs }, (_, i) => ({ time: i, value: i % 80 < 10 ? 1 : 0, trials: 10 }));

  it('when the rate is known from few runs, then its tail is fatter: three failures of ten score less than at the rate itself', () => {
    const thin = new BinomialScorer();
    thin.fit(baseline(80));
    expect(thin.describe()).toEqual({ kind: 'binomial', rate: 0.0125 });
    expect(thin.score({ time: 0, value: 3, trials: 10, outcomes: 0b1010000100 }).z).toBeCloseTo(2.853, 2);
    expect(thin.score({ time: 0, value: 3, trials: 10, outcomes: 0b111 }).z).toBeCloseTo(3.553, 2);
    const thick = new BinomialScorer();
    thick.fit(baseline(2000));
    expect(thick.score({ time: 0, value: 3, trials: 10, outcomes: 0b1010000100 }).z).toBeCloseTo(3.472, 2);
    // A baseline saved before the runs were kept is taken as well known: the binomial at its rate.
    const saved = new BinomialScorer();
    saved.load({ rate: 0.0125 });
    expect(saved.score({ time: 0, value: 3, trials: 10, outcomes: 0b111 }).z).toBeCloseTo(4.164, 2);
  });
});

describe('BinomialScorer on system errors', () => {
  // 5% of runs fail: 4% on business exceptions (the data), 1% on system errors. Each point is a
  // window of 10 runs, whose failures are counted in the baseline; a tenth of the points hold a system error, the others' failures are business.
  const history = Array.from({ length: 1000 }, (_, i) => ({ time: i, value: i % 2, trials: 10, outcomes: i % 2, systemOutcomes: i % 10 === 1 ? 1 : 0 }));

  it('when three of the last four runs fail on system errors, then they score against their own rate, corrected for both scans', () => {
    const scorer = new BinomialScorer();
    scorer.fit(history);
    expect(scorer.describe()).toEqual({ kind: 'binomial', rate: 0.05, systemRate: 0.01 });
    // P(3 of 4 at 1%) = 6.0e-6, times 2 scans of 8 windows = 9.5e-5: z about 3.73.
    const system = scorer.score({ time: 0, value: 3, trials: 10, outcomes: 0b1101, systemOutcomes: 0b1101 });
    expect(system).toEqual({ z: expect.closeTo(3.732, 2), expected: 0.01, window: { failures: 3, trials: 4, system: true } });
    // The same three as business exceptions: P(3 of 4 at 5%) = 5.2e-4, times 16 = 8.3e-3: z about 2.39.
    const business = scorer.score({ time: 0, value: 3, trials: 10, outcomes: 0b1101, systemOutcomes: 0 });
    expect(business).toEqual({ z: expect.closeTo(2.394, 2), expected: 0.05, window: { failures: 3, trials: 4 } });
    // A point that does not tell them apart (kept before they were told): one scan, times 8: z about 2.64.
    expect(scorer.score({ time: 0, value: 3, trials: 10, outcomes: 0b1101 }).z).toBeCloseTo(2.638, 2);
  });

  it('when its window does not tell system errors apart, then it judges all failures alone', () => {
    const scorer = new BinomialScorer();
    scorer.fit(history.map(({ systemOutcomes: _, ...point }) => point));
    expect(scorer.describe()).toEqual({ kind: 'binomial', rate: 0.05 });
    expect(scorer.score({ time: 0, value: 3, trials: 10, outcomes: 0b1101, systemOutcomes: 0b1101 }).window).toEqual({ failures: 3, trials: 4 });
  });

  it('opens on the third system failure in four runs, and says what failed against what usually does', () => {
    const detector = createDetector('failure_rate', { sensitivity: 4 });
    for (const point of history) detector.observe(point);
    const observe = (mask: number, i: number) =>
      detector.observe({ time: 1000 + i, value: bitsOf(mask), trials: 10, outcomes: mask, systemOutcomes: mask }).events;
    expect([0b1, 0b10, 0b101].flatMap(observe)).toEqual([]);
    const [opened] = observe(0b1011, 3);
    expect(opened).toMatchObject({ type: 'opened', episode: { observed: 3, observedTrials: 4, observedSystem: true, expected: expect.closeTo(0.01, 4) } });
    // Severe by its third failure: 3 of 4 runs failing where 1% usually do is 0.74 (by its tail, z 3.73, 0.45).
    expect(opened.episode.firstSeverity).toBeCloseTo(0.74, 4);
    expect(pointSeverity(opened.episode.peakScore, 3.5, 3)).toBeCloseTo(0.451, 2);
  });
});

describe('BinomialScorer: tails kept from point to point', () => {
  // One run a point, every 1/rate-th failed, every other of those on a system error: a baseline at
  // that rate, and at half of it for system errors (both scans run, each with its own tails).
  const windowsOf = (rate: number) =>
    Array.from({ length: 200 }, (_, i) => {
      const failed = i % Math.round(1 / rate) === 0 ? 1 : 0;
      const system = i % Math.round(2 / rate) === 0 ? 1 : 0;
      return { time: i, value: failed, trials: 1, outcomes: failed, systemOutcomes: system };
    });
  const probes = [0b1, 0b11, 0b111, 0b1101, 0b1011, 0b111, 0b11, 0b1101];
  const scoresOf = (scorer: BinomialScorer) =>
    probes.map((outcomes) => scorer.score({ time: 0, value: bitsOf(outcomes), trials: 10, outcomes, systemOutcomes: outcomes }));
  const fresh = (window: Point[]) => {
    const scorer = new BinomialScorer();
    scorer.fit(window);
    return scoresOf(scorer);
  };

  it("when scorers of other rates score between its points, or it is fitted again, then each point scores as a fresh scorer's would", () => {
    const rare = windowsOf(0.01);
    const common = windowsOf(0.2);
    const a = new BinomialScorer();
    const b = new BinomialScorer();
    a.fit(rare);
    b.fit(common);
    expect([a.describe(), b.describe()]).toEqual([
      { kind: 'binomial', rate: 0.01, systemRate: 0.005 },
      { kind: 'binomial', rate: 0.2, systemRate: 0.1 },
    ]);
    // Interleaved: the same windows of runs, each at its own rate.
    const interleaved = probes.map((outcomes, i) =>
      [a, b].map((scorer) => scorer.score({ time: i, value: bitsOf(outcomes), trials: 10, outcomes, systemOutcomes: outcomes })),
    );
    expect(interleaved.map(([x]) => x)).toEqual(fresh(rare));
    expect(interleaved.map(([, y]) => y)).toEqual(fresh(common));
    // Known answers: three failures in a row at 1% open far out; at 20% (10% on system errors) they do not.
    expect(interleaved[2][0].z).toBeGreaterThan(3.5);
    expect(interleaved[2][1].z).toBeLessThan(3);
    // Fitted again to the other rate, and loaded with a saved rate: the tails of before are not reused.
    const expected = { rare: fresh(rare), common: fresh(common) };
    a.fit(rare);
    expect(scoresOf(a)).toEqual(expected.rare);
    a.fit(common);
    expect(scoresOf(a)).toEqual(expected.common);
    a.fit(rare);
    scoresOf(a);
    a.load(b.save());
    expect(scoresOf(a)).toEqual(expected.common);
    a.load(new BinomialScorer().save());
    const unfitted = new BinomialScorer();
    unfitted.load(new BinomialScorer().save());
    expect(scoresOf(a)).toEqual(scoresOf(unfitted));
  });
});

function bitsOf(mask: number): number {
  return mask
    .toString(2)
    .split('')
    .filter((b) => b === '1').length;
}

describe('fourSignificant', () => {
  it('equals Number(value.toPrecision(4)) on random values, ties, powers of ten and edge cases', () => {
    const random = new Random(7);
    const values = [0, -0, 1, -1, 9999.5, 999.95, 1234.5, 0.00012345, 99995, 5e-324, 1e300, -1e-300, Infinity, -Infinity, Number.NaN];
    for (let i = 0; i < 50_000; i++) {
      const exponent = Math.floor(random.next() * 40) - 20;
      values.push((random.next() - 0.3) * 10 ** exponent);
      // Exact halves at the fifth digit, and round decimals, are where rounding can go either way.
      values.push((Math.round(random.next() * 20_000) + 0.5) / 10 ** Math.floor(random.next() * 6));
      values.push(Math.round(random.next() * 1e6) / 10 ** Math.floor(random.next() * 8));
      values.push(10 ** exponent);
    }
    const differing = values.filter((v) => !Object.is(fourSignificant(v), Number(v.toPrecision(4))) && !(v === 0));
    expect(differing).toEqual([]);
    expect(fourSignificant(-0)).toBe(0);
  });
});

/** The baseline as `RobustScorer` defines it, computed plainly: the reference its fit must equal. */
function plainBaseline(points: readonly Point[], transform: (v: number) => number, seasonality: Seasonality, minBucketPoints: number) {
  const hourOf = (time: number) => Math.floor(time / 3600_000);
  const isWeekend = (time: number) => [0, 6].includes(new Date(time).getUTCDay());
  const bucketOf = (time: number) =>
    seasonality === 'none'
      ? 0
      : seasonality === 'hourOfDayByWeekpart'
        ? (hourOf(time) % 24) + (isWeekend(time) ? 24 : 0)
        : hourOf(time) % (seasonality === 'hourOfDay' ? 24 : 168);
  const values = points.map((p) => transform(p.value));
  const overall = median(values);
  const groups = new Map<number, number[]>();
  points.forEach((p, i) => groups.set(bucketOf(p.time), [...(groups.get(bucketOf(p.time)) ?? []), values[i]]));
  const medians = new Map([...groups].filter(([, list]) => seasonality !== 'none' && list.length >= minBucketPoints).map(([key, list]) => [key, median(list)]));
  // Weekend hours short of points take the hour's median on every day; weekday hours never do.
  for (let hour = 0; seasonality === 'hourOfDayByWeekpart' && hour < 24; hour++) {
    const all = [...(groups.get(hour) ?? []), ...(groups.get(hour + 24) ?? [])];
    if (!medians.has(hour + 24) && all.length > 0 && all.length >= minBucketPoints) medians.set(hour + 24, median(all));
  }
  const sigma = 1.4826 * median(points.map((p, i) => Math.abs(values[i] - (medians.get(bucketOf(p.time)) ?? overall))));
  return { overall, sigma, medians, bucketOf };
}

describe('runs per hour into a first weekend', () => {
  it("when a stop runs from Friday night into a first Saturday, then Saturday's hours, judged by the weekdays', go on with it and end it; the weekend after is its own", () => {
    // A queue worker, 10 runs an hour from a Monday (T0); it stops Friday 22:00 to Saturday 04:00.
    const detector = createDetector('volume', { sensitivity: 4 });
    const stopFrom = T0 + 4 * DAY + 22 * HOUR;
    const events: Array<[string, number]> = [];
    const judgedOnSaturdays: boolean[] = [];
    for (let time = T0; time < T0 + 14 * DAY; time += HOUR) {
      const judged = detector.observe({ time, value: time >= stopFrom && time < stopFrom + 6 * HOUR ? 0 : 10 });
      for (const event of judged.events) events.push([event.type, time]);
      if (time === T0 + 5 * DAY + 10 * HOUR || time === T0 + 12 * DAY + 10 * HOUR) judgedOnSaturdays.push(judged.judgement.ready);
    }
    // Opened on its second silent hour, Friday 23:00; on while Saturday is silent, closed on its
    // second hour of runs again (it closed at Saturday 01:00, still stopped, when those hours
    // could not be judged). Nothing else opens in the two weeks.
    const saturday = T0 + 5 * DAY;
    expect(events).toEqual([['opened', stopFrom + HOUR], ...[0, 1, 2, 3].map((hour) => ['updated', saturday + hour * HOUR]), ['closed', saturday + 5 * HOUR]]);
    // The first Saturday's quiet hours are history, not anomalies; the next Saturday is judged by them.
    expect(judgedOnSaturdays).toEqual([false, true]);
  });
});

describe('RobustScorer', () => {
  it('with sameHourFallback, an hour of the week not seen yet is judged against the lower of that hour on the days before and the overall median; an hour never seen is not judged', () => {
    // Monday to Wednesday (T0 is a Monday), hourly run counts: 25 at 02:00, 16 to 16:00, none in
    // the evening and at night, and nothing known of 23:00.
    const window = Array.from({ length: 72 }, (_, i) => ({ time: T0 + i * HOUR, value: i % 24 === 2 ? 25 : i % 24 < 16 ? 16 : 0 })).filter(
      (_, i) => i % 24 !== 23,
    );
    const scorer = new RobustScorer({ transform: 'sqrt', seasonality: 'hourOfWeek', minBucketPoints: 1, minSigma: 0.5, sameHourFallback: true });
    scorer.fit(window);
    const thursday = T0 + 3 * DAY;
    // Evenings on the weekdays before had none: a quiet evening is no anomaly (the overall median, 16, called it 8 SDs low).
    expect(scorer.score({ time: thursday + 20 * HOUR, value: 0 })).toEqual({ z: 0, expected: 0, settled: false });
    // 02:00 on the weekdays before had 25, the overall median is 16: the lower.
    expect(scorer.score({ time: thursday + 2 * HOUR, value: 4 })).toEqual({ z: -4, expected: 16, settled: false });
    // No weekend yet: the weekdays' hour, but only provisionally (a fleet's Saturday is quieter); an hour no day has is not judged.
    expect(scorer.score({ time: T0 + 5 * DAY + 10 * HOUR, value: 0 })).toEqual({ z: -8, expected: 16, settled: false, provisional: true });
    expect(scorer.score({ time: thursday + 23 * HOUR, value: 0 })).toEqual({ z: NaN, expected: 0, settled: false });
    // A weekday without that hour on the weekdays before takes the weekend's (4 at 02:00; 16 overall).
    const weekend = Array.from({ length: 48 }, (_, i) => ({ time: T0 - 2 * DAY + i * HOUR, value: i % 24 === 2 ? 4 : 16 }));
    const fromWeekend = new RobustScorer({ transform: 'sqrt', seasonality: 'hourOfWeek', minBucketPoints: 1, minSigma: 0.5, sameHourFallback: true });
    fromWeekend.fit([...weekend, ...window.slice(0, 2)]);
    expect(fromWeekend.score({ time: T0 + DAY + 2 * HOUR, value: 0 })).toEqual({ z: -4, expected: 4, settled: false });
    // An hour of the week seen before is its own guide.
    expect(scorer.score({ time: T0 + 7 * DAY + 2 * HOUR, value: 4 })).toEqual({ z: -6, expected: 25, settled: true });
    // A baseline saved and loaded (another thread's, the next pass's) judges alike.
    const loaded = new RobustScorer({ transform: 'sqrt', seasonality: 'hourOfWeek', minBucketPoints: 1, minSigma: 0.5, sameHourFallback: true });
    expect(loaded.load(structuredClone(scorer.save()))).toBe(true);
    expect(loaded.score({ time: thursday + 20 * HOUR, value: 0 })).toEqual({ z: 0, expected: 0, settled: false });
    expect(loaded.score({ time: thursday + 2 * HOUR, value: 4 })).toEqual({ z: -4, expected: 16, settled: false });
    // Without the option, the overall median.
    const plain = new RobustScorer({ transform: 'sqrt', seasonality: 'hourOfWeek', minBucketPoints: 1, minSigma: 0.5 });
    plain.fit(window);
    expect(plain.score({ time: thursday + 20 * HOUR, value: 0 })).toEqual({ z: -8, expected: 16, settled: false });
  });

  it('fits the same baseline as the plain median, seasonal medians and MAD, on any prefix of a window', () => {
    const random = new Random(11);
    const cases: Array<{ transform: 'log' | 'sqrt' | 'identity'; seasonality: Seasonality; minBucketPoints: number; to: (v: number) => number }> = [
      { transform: 'log', seasonality: 'hourOfDay', minBucketPoints: 10, to: (v) => Math.log(Math.max(v, 1e-9)) },
      { transform: 'sqrt', seasonality: 'hourOfWeek', minBucketPoints: 1, to: (v) => Math.sqrt(Math.max(v, 0)) },
      { transform: 'identity', seasonality: 'none', minBucketPoints: 10, to: (v) => v },
      { transform: 'log', seasonality: 'hourOfDayByWeekpart', minBucketPoints: 10, to: (v) => Math.log(Math.max(v, 1e-9)) },
    ];
    for (const c of cases) {
      for (let trial = 0; trial < 40; trial++) {
        const length = 1 + Math.floor(random.next() * 3000);
        let time = T0;
        const window = Array.from({ length }, () => ({
          time: (time += Math.floor(random.next() * 2 * 3600_000)),
          value: Math.round(random.logNormal(5000, 0.5)),
        }));
        const count = 1 + Math.floor(random.next() * length);
        const scorer = new RobustScorer({ transform: c.transform, seasonality: c.seasonality, minBucketPoints: c.minBucketPoints, minSigma: 1e-9 });
        scorer.fit(window, count);
        const plain = plainBaseline(window.slice(0, count), c.to, c.seasonality, c.minBucketPoints);
        const description = scorer.describe();
        expect(description.sigma).toBe(plain.sigma);
        expect(description.seasonalBuckets).toBe(plain.medians.size);
        for (const point of window.slice(0, 50)) {
          const center = plain.medians.get(plain.bucketOf(point.time)) ?? plain.overall;
          expect(scorer.score(point).z).toBe((c.to(point.value) - center) / Math.max(plain.sigma, 1e-9));
        }
      }
    }
  });

  it.each([
    ['CPU use in five-minute means, by hour of the day', 'identity', 'hourOfDay', 10, 300_000, 2000],
    ['hourly run counts, by hour of the week', 'sqrt', 'hourOfWeek', 1, 3600_000, 2000],
    // A detector's week of hourly counts: each hour of the week holds one value, its own median.
    ['a week of hourly run counts, by hour of the week', 'sqrt', 'hourOfWeek', 1, 3600_000, 168],
    ['runs every ten minutes, by hour of the day on weekdays and at weekends', 'identity', 'hourOfDayByWeekpart', 10, 600_000, 2000],
    [
      'runs every hour from the first, by hour of the day on weekdays and at weekends (weekend hours short of points at first)',
      'identity',
      'hourOfDayByWeekpart',
      10,
      3600_000,
      2000,
    ],
  ] as const)('fits the plain baseline fit after fit as its window slides: %s', (_name, transform, seasonality, minBucketPoints, every, maxPoints) => {
    const random = new Random(12);
    const to = transform === 'identity' ? (v: number) => v : (v: number) => Math.sqrt(Math.max(v, 0));
    const scorer = new RobustScorer({ transform, seasonality, minBucketPoints, minSigma: 1e-9 });
    const window: Point[] = [];
    let time = T0;
    for (let fit = 0; fit < 60; fit++) {
      // A daily cycle with noise, whole numbers at times (ties), and a level that shifts once.
      for (let i = 0; i < 100; i++) {
        time += every;
        const cycle = 20 * Math.sin((2 * Math.PI * (time % 86_400_000)) / 86_400_000);
        const value = (fit > 40 ? 30 : 0) + 40 + cycle + 5 * random.normal();
        window.push({ time, value: random.chance(0.3) ? Math.round(Math.max(0, value)) : Math.max(0, value) });
      }
      if (window.length > maxPoints) window.splice(0, window.length - maxPoints);
      const count = window.length - random.int(0, 20);
      scorer.fit(window, count);
      const plain = plainBaseline(window.slice(0, count), to, seasonality, minBucketPoints);
      expect(scorer.describe().sigma).toBe(plain.sigma);
      for (const point of window.slice(-30)) {
        const center = plain.medians.get(plain.bucketOf(point.time)) ?? plain.overall;
        expect(scorer.score(point).z).toBe((to(point.value) - center) / Math.max(plain.sigma, 1e-9));
      }
    }
  });
});

describe('RobustScorer by hour of the day on weekdays and at weekends', () => {
  it("when no bucket of its own is full but an hour is, weekdays and weekends together, then the weekend hour takes that hour's median and the weekday hour the overall one", () => {
    // 09:00 on 6 weekdays (10 s) and 5 weekend days (8 s): 11 together, neither apart 10. 15:00 on 4
    // weekdays at 20 s. A weekday 09:00 is short and takes the overall median of all 15 values (10 s).
    const saturday = T0 + 5 * DAY;
    const window: Point[] = [
      ...[0, 1, 2, 3, 4, 7].map((d) => ({ time: T0 + d * DAY + 9 * HOUR, value: 10 })),
      ...[0, 1, 7, 8, 14].map((d) => ({ time: saturday + d * DAY + 9 * HOUR, value: 8 })),
      ...[0, 1, 2, 3].map((d) => ({ time: T0 + d * DAY + 15 * HOUR, value: 20 })),
    ].sort((a, b) => a.time - b.time);
    const scorer = new RobustScorer({ transform: 'identity', seasonality: 'hourOfDayByWeekpart', minSigma: 0.5 });
    scorer.fit(window);
    // The hour's 11 values: five 8s and six 10s, median 10; the weekend's own 8 would be its median.
    const weekendNine = scorer.score({ time: saturday + 21 * DAY + 9 * HOUR, value: 10 });
    expect([weekendNine.expected, weekendNine.settled]).toEqual([10, true]);
    const weekdayNine = scorer.score({ time: T0 + 21 * DAY + 9 * HOUR, value: 10 });
    expect([weekdayNine.expected, weekdayNine.settled]).toEqual([10, false]);
    expect(scorer.describe().seasonalBuckets).toBe(1);
    // With more weekend runs at 8 s than weekday ones, the weekend hour's fallback median is 8.
    const more = [...window, ...[21, 22, 28].map((d) => ({ time: saturday + d * DAY + 9 * HOUR, value: 8 }))].sort((a, b) => a.time - b.time);
    scorer.fit(more);
    expect(scorer.score({ time: saturday + 35 * DAY + 9 * HOUR, value: 8 }).z).toBe(0);
  });
});

describe('SameTimeScorer', () => {
  const DAY = 86_400_000;
  const FIVE_MINUTES = 300_000;
  /** A 5-minute series that steps from 20 to 80 at 08:10 and back at 17:50, and `noise` on day `d`, slot `i`. */
  const daily = (days: number, noise: (d: number, i: number) => number) =>
    Array.from({ length: days * 288 }, (_, k) => {
      const d = Math.floor(k / 288);
      const i = k % 288;
      return { time: T0 + k * FIVE_MINUTES, value: (i >= 98 && i < 214 ? 80 : 20) + noise(d, i) };
    });

  it('expects the median of the same time of day on the earlier days, and scales by the spread of the residuals from theirs', () => {
    // Three days: the second 1 above the first, the third 2 above it, at every time of day.
    const window = daily(3, (d) => d);
    const scorer = new SameTimeScorer({ days: 7, minDays: 2, minResiduals: 30, minSigma: 1e-9 });
    scorer.fit(window);
    // Only the third day has two earlier days: its residuals from their median (20.5 at night) are all 1.5.
    expect(scorer.describe()).toEqual({ kind: 'sameTime', days: 7, center: 1.5, sigma: 0, residuals: 288 });
    // 08:10 on the fourth day: the earlier three are 80, 81 and 82; median 81, plus the usual residual 1.5.
    const at0810 = T0 + 3 * DAY + 98 * FIVE_MINUTES;
    expect(scorer.score({ time: at0810, value: 82.5 })).toEqual({ z: 0, expected: 82.5 });
    expect(scorer.score({ time: at0810, value: 82.5 + 1e-6 }).z).toBeCloseTo(1000, 3);
    // 08:05 the same day is night on every earlier day: 20, 21 and 22.
    expect(scorer.score({ time: at0810 - FIVE_MINUTES, value: 22.5 }).z).toBe(0);
  });

  it('has a spread from noisy residuals: MAD of value minus the median of the earlier days, times 1.4826', () => {
    const random = new Random(5);
    const window = daily(4, () => random.normal());
    const scorer = new SameTimeScorer({ days: 7, minDays: 2, minResiduals: 30, minSigma: 1e-9 });
    scorer.fit(window);
    const at = new Map(window.map((p) => [p.time, p.value]));
    const residuals = window
      .map((p) => ({ p, earlier: [1, 2, 3].map((d) => at.get(p.time - d * DAY)).filter((v): v is number => v !== undefined) }))
      .filter(({ earlier }) => earlier.length >= 2)
      .map(({ p, earlier }) => p.value - median(earlier));
    const center = median(residuals);
    expect(scorer.describe()).toMatchObject({ center, sigma: 1.4826 * median(residuals.map((r) => Math.abs(r - center))), residuals: 2 * 288 });
  });

  it("compares a point with its last `days` days only, and a scorer loaded from another's save judges as it does", () => {
    // Four days at 20, 21, 30 and 31 at night: with days 2, the fifth day is compared with 30 and 31.
    const window = daily(4, (d) => [0, 1, 10, 11][d]);
    const scorer = new SameTimeScorer({ days: 2, minDays: 2, minResiduals: 30, minSigma: 1e-9 });
    scorer.fit(window);
    const night = T0 + 4 * DAY + 10 * FIVE_MINUTES;
    // Residuals: day 2 against days 0-1 (30 - 20.5 = 9.5), day 3 against days 1-2 (31 - 25.5 = 5.5): median 7.5.
    expect(scorer.describe()).toMatchObject({ center: 7.5, residuals: 2 * 288 });
    expect(scorer.score({ time: night, value: 38 }).expected).toBe(30.5 + 7.5);
    const loaded = new SameTimeScorer({ days: 2, minDays: 2, minResiduals: 30, minSigma: 1e-9 });
    expect(loaded.load(JSON.parse(JSON.stringify(scorer.save())))).toBe(true);
    for (const value of [20, 38, 50]) expect(loaded.score({ time: night, value })).toEqual(scorer.score({ time: night, value }));
    // Not from another kind of scorer's save: the detector fits its window again.
    expect(loaded.load(new RobustScorer({ transform: 'log', seasonality: 'none', minSigma: 0.01 }).save())).toBe(false);
    expect(new RobustScorer({ transform: 'log', seasonality: 'none', minSigma: 0.01 }).load(scorer.save())).toBe(false);
  });

  it('has no baseline for a point without its earlier days: z NaN, and the detector takes it as history, unjudged', () => {
    const scorer = new SameTimeScorer({ days: 7, minDays: 2, minResiduals: 30, minSigma: 1e-9 });
    scorer.fit(daily(1, () => 0));
    expect(scorer.score({ time: T0 + DAY, value: 20 }).z).toBeNaN();
    // Off the series' clock (a minute late): no earlier values at that time either.
    scorer.fit(daily(3, () => 0));
    expect(scorer.score({ time: T0 + 3 * DAY + MINUTE, value: 20 }).z).toBeNaN();

    const d = new SeriesDetector(new SameTimeScorer({ days: 7, minDays: 2, minResiduals: 30, minSigma: 0.5 }), {
      minHistory: 30,
      minConsecutive: 1,
      direction: 'both',
    });
    const points = daily(3, () => 0);
    const judged = points.map((p) => d.observe(p).judgement.ready);
    // The first two days have no two earlier days: unjudged, yet kept (the third day is judged
    // against them, from its first fit with 30 residuals: 30 to 60 points in, refitted every 28).
    const first = judged.indexOf(true);
    expect(first).toBeGreaterThanOrEqual(2 * 288 + 30);
    expect(first).toBeLessThan(2 * 288 + 60);
    expect(judged.slice(first).every(Boolean)).toBe(true);
    const { judgement } = d.observe({ time: T0 + 3 * DAY + 98 * FIVE_MINUTES, value: 20 });
    expect(judgement).toMatchObject({ ready: true, exceeds: true, expected: 80, z: 120 });
  });
});
