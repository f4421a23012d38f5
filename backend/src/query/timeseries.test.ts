import { QuantileDigest } from '../analysis/quantileDigest';
import { quantile } from '../analysis/stats';
import { Random } from '../sim/random';
import { type SeriesSpec, SeriesBuilder } from './timeseries';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);

const spec = (aggregation: SeriesSpec['aggregation']): SeriesSpec => ({
  refId: 'A',
  valueName: 'x',
  unit: 'ms',
  aggregation,
  groupBy: ['workflow'],
  emptyValue: null,
});

describe('SeriesBuilder', () => {
  it('when values arrive interleaved across many buckets, as values and as summaries, then each bucket has the exact quantiles, extremes and mean of its values', () => {
    const random = new Random(3);
    const buckets = 300;
    const expected = new Map<string, number[][]>();
    const builders = (['p50', 'p95', 'min', 'max', 'avg', 'count'] as const).map(
      (a) => new SeriesBuilder({ from: T0, to: T0 + buckets * HOUR }, HOUR, spec(a)),
    );
    const scratch = new Float64Array(64);
    // Many small additions in random order: buckets grow past their first room (and past the
    // insertion-sort size) while others are filled in between, and the pool grows too.
    for (let k = 0; k < 30_000; k++) {
      const workflow = `wf-${random.int(0, 2)}`;
      const b = random.int(0, buckets - 1);
      const list = expected.get(workflow) ?? Array.from({ length: buckets }, () => []);
      expected.set(workflow, list);
      const time = T0 + b * HOUR + random.int(0, HOUR - 1);
      if (random.chance(0.5)) {
        const v = Math.round(random.logNormal(5000, 0.8));
        list[b].push(v);
        for (const builder of builders) builder.addValue(time, { workflow }, v);
      } else {
        const n = random.int(1, 4);
        for (let i = 0; i < n; i++) scratch[i] = Math.round(random.logNormal(5000, 0.8));
        const values = Array.from(scratch.subarray(0, n));
        list[b].push(...values);
        const summary = { count: n, sum: values.reduce((x, y) => x + y), min: Math.min(...values), max: Math.max(...values), values: scratch };
        for (const builder of builders) builder.addSummary(time, { workflow }, summary);
      }
    }
    const [p50, p95, min, max, avg, count] = builders.map((b) => b.frames());
    for (const [i, frame] of p95.entries()) {
      const workflow = frame.fields[1].labels!.workflow;
      const list = expected.get(workflow)!;
      const at = (frames: typeof p95, b: number) => (frames[i].fields[1].values as Array<number | null>)[b];
      for (let b = 0; b < buckets; b++) {
        const values = list[b];
        if (values.length === 0) {
          expect(at(p95, b)).toBeNull();
          continue;
        }
        expect(at(p50, b)).toBe(quantile(values, 0.5));
        expect(at(p95, b)).toBe(quantile(values, 0.95));
        expect(at(min, b)).toBe(Math.min(...values));
        expect(at(max, b)).toBe(Math.max(...values));
        expect(at(avg, b)).toBeCloseTo(values.reduce((x, y) => x + y) / values.length, 9);
        expect(at(count, b)).toBe(values.length);
      }
    }
    expect(Math.max(...[...expected.values()].flat().map((v) => v.length))).toBeGreaterThan(16);
  });

  it('when a bucket holds digests past the exact limit and values beside them, then its quantile is within the sketch accuracy', () => {
    const random = new Random(8);
    const builder = new SeriesBuilder({ from: T0, to: T0 + HOUR }, HOUR, spec('p95'));
    const all: number[] = [];
    for (let d = 0; d < 3; d++) {
      const values = Array.from({ length: 200 }, () => Math.round(random.logNormal(8000, 0.5)));
      all.push(...values);
      builder.addSummary(
        T0,
        { workflow: 'w' },
        { count: 200, sum: values.reduce((x, y) => x + y), min: Math.min(...values), max: Math.max(...values), digest: QuantileDigest.of([...values]) },
      );
    }
    for (let k = 0; k < 10; k++) {
      const v = Math.round(random.logNormal(8000, 0.5));
      all.push(v);
      builder.addValue(T0 + k, { workflow: 'w' }, v);
    }
    const [frame] = builder.frames();
    expect(Math.abs((frame.fields[1].values[0] as number) / quantile(all, 0.95) - 1)).toBeLessThanOrEqual(0.01);
  });
});
