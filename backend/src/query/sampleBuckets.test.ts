import type { QueryTarget } from '@rpa-analytics/contract';
import type { ResourceSample } from '@rpa-analytics/contract';
import { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import { Random } from '../sim/random';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { expectSameFrames } from '../testing/frames';
import { QueryEngine } from './queryEngine';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 9, 1);

/** Two days of samples every 10 s on three hosts: some taken for a workflow, GPUs on one host, a memory total of 0 now and then. */
function randomSamples(seed: number): ResourceSample[] {
  const random = new Random(seed);
  const samples: ResourceSample[] = [];
  for (let t = T0; t < T0 + 48 * HOUR; t += 10_000) {
    for (const host of ['vm-1', 'vm-2', 'vm-3']) {
      const sample: ResourceSample = {
        host,
        time: t + random.int(0, 9_999),
        cpuPercent: random.uniform(0, 100),
        memoryUsedBytes: Math.round(random.uniform(1e9, 8e9)),
        memoryTotalBytes: random.chance(0.02) ? 0 : 8e9,
        diskReadBytesPerSec: random.logNormal(1e6, 1),
        diskWriteBytesPerSec: random.logNormal(2e5, 1),
        netRxBytesPerSec: random.logNormal(5e5, 1),
        netTxBytesPerSec: random.logNormal(1e5, 1),
      };
      if (host === 'vm-2') sample.gpuPercent = random.uniform(0, 100);
      if (random.chance(0.3)) sample.workflow = random.pick(['Claims', 'Invoices']);
      samples.push(sample);
    }
  }
  return samples;
}

describe('host panels from the store buckets of samples', () => {
  const store = new SqliteStore({ file: ':memory:' });
  const performance = new PerformanceAnalyzer(store);
  const summed = new QueryEngine(store, performance);
  const rawOnly = new QueryEngine(store, performance, false);
  beforeAll(() => {
    const samples = randomSamples(5);
    for (let i = 0; i < samples.length; i += 5000) store.ingest({ executions: [], steps: [], samples: samples.slice(i, i + 5000) });
    // Sent again: some as they were, some corrected (another value, now for a workflow): each counts once, as stored.
    const again = samples.slice(20_000, 20_600).map((s, i) => (i % 3 === 0 ? { ...s, cpuPercent: 99.5, netTxBytesPerSec: 1, workflow: 'Payroll' } : s));
    store.ingest({ executions: [], steps: [], samples: again });
  });
  afterAll(() => store.close());

  const panel = (engine: QueryEngine, target: Partial<QueryTarget>, from: number, to: number, intervalMs: number) =>
    engine.run({ range: { from, to }, intervalMs, maxDataPoints: 10_000, targets: [{ refId: 'A', queryType: 'resources', ...target }] }).results.A.frames;

  const cases: Array<Partial<QueryTarget>> = [
    { metric: 'host_cpu' },
    { metric: 'host_memory', aggregation: 'max' },
    { metric: 'host_gpu', aggregation: 'min' },
    { metric: 'disk_read', aggregation: 'sum', groupBy: ['workflow'] },
    { metric: 'net_rx', aggregation: 'count', host: ['vm-3', 'nowhere'] },
    { metric: 'host_memory', aggregation: 'avg', groupBy: ['host', 'workflow'] },
    { metric: 'net_tx', aggregation: 'avg', groupBy: [] },
    { metric: 'disk_write', aggregation: 'max', host: ['nowhere'] },
  ];
  // Edges inside buckets; minute, 5-minute and hourly buckets.
  const ranges: Array<[number, number, number]> = [
    [T0 + 7_777, T0 + 47 * HOUR + 123_456, HOUR],
    [T0 + 30 * 60_000 + 1, T0 + 6 * HOUR - 1, 5 * 60_000],
    [T0 + 13 * HOUR, T0 + 14 * HOUR, 60_000],
  ];

  it.each(cases)('answers %o as the samples one by one do', (target) => {
    for (const [from, to, interval] of ranges) {
      const fast = panel(summed, target, from, to, interval);
      const exact = panel(rawOnly, target, from, to, interval);
      // Counts, minima and maxima to the bit; sums and means as the database adds them (to 1e-9).
      const bitForBit = target.aggregation === 'count' || target.aggregation === 'min' || target.aggregation === 'max';
      expectSameFrames(fast, exact, (v, exactV) => (bitForBit ? expect(v).toBe(exactV) : expect(v / exactV).toBeCloseTo(1, 9)));
    }
  });

  it('answers whole hours from the rollups when the samples themselves are gone, and retention deletes the rollups', () => {
    const own = new SqliteStore({ file: ':memory:' });
    try {
      own.ingest({ executions: [], steps: [], samples: randomSamples(8).filter((s) => s.time < T0 + 3 * HOUR) });
      const engine = new QueryEngine(own, new PerformanceAnalyzer(own));
      const target = { metric: 'host_cpu' as const, aggregation: 'max' as const, groupBy: ['host' as const] };
      const before = panel(engine, target, T0, T0 + 3 * HOUR, HOUR);
      // The samples go (as retention deletes them); the hourly panel still has every hour of every host.
      (own as unknown as { db: { exec: (sql: string) => void } }).db.exec('DELETE FROM resource_samples');
      expect(own.listSamples({})).toEqual([]);
      const after = panel(engine, target, T0, T0 + 3 * HOUR, HOUR);
      expect(after).toEqual(before);
      expect(after.map((f) => f.fields[1].values.filter((v) => v !== null).length)).toEqual([3, 3, 3]);
      // Rollups past their own lifetime go too: the first hour is empty now.
      own.deleteRollupsBefore(T0 + HOUR);
      const trimmed = panel(engine, target, T0, T0 + 3 * HOUR, HOUR);
      expect(trimmed.map((f) => f.fields[1].values.map((v) => v !== null))).toEqual(Array(3).fill([false, true, true]));
    } finally {
      own.close();
    }
  });

  it('reads buckets, not samples, unless the panel asks for a quantile', () => {
    const listSamples = jest.spyOn(store, 'listSamples');
    try {
      const mean = panel(summed, { metric: 'host_cpu', groupBy: ['host'] }, T0, T0 + 24 * HOUR, HOUR);
      expect(listSamples).not.toHaveBeenCalled();
      expect(mean.map((f) => f.fields[1].labels)).toEqual([{ host: 'vm-1' }, { host: 'vm-2' }, { host: 'vm-3' }]);
      expect(mean[0].fields[1].values).toHaveLength(24);
      panel(summed, { metric: 'host_cpu', aggregation: 'p95' }, T0, T0 + 24 * HOUR, HOUR);
      expect(listSamples).toHaveBeenCalledTimes(1);
    } finally {
      listSamples.mockRestore();
    }
  });
});
