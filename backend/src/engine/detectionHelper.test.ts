import { createDetector, type Judging, observeAll, seriesKey, type SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import { PointList } from '../analysis/anomaly/pointList';
import { claimPart, createHandler, packSeries, packSilences, unpackSilences } from './detectionHandler';
import { DetectionHelper } from './detectionHelper';

const T0 = Date.UTC(2026, 10, 2);
const MINUTE = 60_000;
const judging: Judging = { sensitivity: 4, timeZone: 'UTC' };

/** A workflow's run durations, every 10 minutes: about a minute, and three times that from `slowFrom` on. */
function durations(workflow: string, count: number, slowFrom = Infinity): SeriesPoints {
  const id = { metric: 'run_duration' as const, workflow };
  const points = PointList.sized(count);
  for (let i = 0; i < count; i++) points.push(T0 + i * 10 * MINUTE, (i >= slowFrom ? 3 : 1) * (60_000 + ((i * 7919) % 5000)));
  return { id: { key: seriesKey(id), ...id }, points };
}

/** What this thread finds judging the series: each one's events and final state, by key. */
function judgedHere(series: readonly SeriesPoints[]) {
  return new Map(
    series.map(({ id, points }) => {
      const detector = createDetector(id.metric, judging);
      return [id.key, { events: observeAll(detector, points), state: JSON.stringify(detector.currentState) }];
    }),
  );
}

describe('DetectionHelper', () => {
  const offered = Array.from({ length: 40 }, (_, i) => durations(`Workflow ${i}`, 300 + 10 * i, i % 5 === 0 ? 250 : Infinity));
  const keysOf = (series: ReadonlyArray<{ key: string } | SeriesPoints>) => series.map((s) => ('id' in s ? s.id.key : s.key));

  it('judges the offered series this thread does not take back, and finds what this thread finds', () => {
    const helper = DetectionHelper.start({ points: 1, threshold: 0, judging, resumeFrom: () => ({}) })!;
    helper.offer(offered);
    expect(helper.points).toBe(offered.reduce((sum, s) => sum + s.points.length, 0));
    const results = helper.finish()!;
    expect(keysOf(results)).toEqual(keysOf(offered));
    const reference = judgedHere(offered);
    expect(results.map(({ key, events, state }) => [key, { events, state }])).toEqual([...reference]);
    // The slowed workflows opened their anomalies there as here.
    expect(results.filter(({ events }) => events.some((e) => e.type === 'opened')).map((r) => r.key)).toEqual(keysOf(offered.filter((_, i) => i % 5 === 0)));
  }, 60_000);

  it('gives back the offered parts it has not begun, the last first, and judges only the rest', () => {
    // Busy with a handed call of 600,000 points (about a second) while this thread takes the parts back.
    const handed = Array.from({ length: 30 }, (_, i) => durations(`Busy ${i}`, 20_000));
    const helper = DetectionHelper.start({ points: 1, threshold: 0, judging, resumeFrom: () => ({}) })!;
    helper.hand(handed);
    helper.offer(offered);
    const parts: SeriesPoints[][] = [];
    for (let part = helper.takeBack(); part; part = helper.takeBack()) parts.push(part);
    // 16 parts of about as many points each, in the order offered once reversed.
    expect(parts).toHaveLength(16);
    expect(keysOf(parts.reverse().flat())).toEqual(keysOf(offered));
    expect([...helper.keys]).toEqual(keysOf(handed));
    expect(helper.points).toBe(30 * 20_000);
    expect(helper.series.map((s) => s.id.key)).toEqual(keysOf(handed));
    expect(keysOf(helper.finish()!)).toEqual(keysOf(handed));
  }, 60_000);

  it('leaves an offered part to the thread that claimed it first', async () => {
    const handler = await createHandler();
    const series = packSeries([durations('Claims', 50)], () => ({}));
    const claims = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    // Part 0 taken back by the pass's own thread: the helper judges nothing of it.
    expect(claimPart({ claims, part: 0 }, 'own thread')).toBe(true);
    expect(await handler.judge(series, judging, { claims, part: 0 })).toEqual([]);
    // Part 1 begun by the helper: judged there, and this thread can no longer take it back.
    expect((await handler.judge(series, judging, { claims, part: 1 })).map((r) => r.key)).toEqual(['run_duration|Claims||']);
    expect(claimPart({ claims, part: 1 }, 'own thread')).toBe(false);
  });

  it('packs silences in three numbers each and unpacks them as they were', () => {
    const silences = [
      { from: T0, to: T0 + 40 * MINUTE, runsBefore: 3 },
      { from: T0 + 2 * 60 * MINUTE, to: Infinity, runsBefore: 0 },
    ];
    const packed = packSilences(silences);
    expect(Array.from(packed)).toEqual([T0, T0 + 40 * MINUTE, 3, T0 + 120 * MINUTE, Infinity, 0]);
    expect(unpackSilences(packed)).toEqual(silences);
  });
});
