import type { HostBuckets } from '../../store/store';
import type { RunOutline } from '../../store/store';
import { failureSeries, HOST_BUCKET_MS, hostSeries, hourlySeries } from './seriesCatalog';

const T0 = Date.UTC(2026, 10, 2);
const HOUR = 3_600_000;

describe('hostSeries', () => {
  const plain = (series: ReturnType<typeof hostSeries>) => series.map(({ id, points }) => [id.key, Array.from({ length: points.length }, (_, i) => points.at(i))]);

  it("gives each host its buckets' mean CPU and memory, the hosts whose buckets start first first", () => {
    // As the store gives them: hosts by name, sums and counts per bucket.
    const hosts: HostBuckets[] = [
      { host: 'vm-a', times: [T0 + HOST_BUCKET_MS], samples: [1], cpuPercent: [50], memoryPercent: [100] },
      { host: 'vm-b', times: [T0, T0 + HOST_BUCKET_MS, T0 + 2 * HOST_BUCKET_MS], samples: [2, 1, 4], cpuPercent: [40, 70, 90], memoryPercent: [75, 0, 10] },
      { host: 'vm-c', times: [T0 + HOST_BUCKET_MS], samples: [3], cpuPercent: [30], memoryPercent: [60] },
    ];
    expect(plain(hostSeries(hosts))).toEqual([
      ['host_cpu|||vm-b', [{ time: T0, value: 20 }, { time: T0 + HOST_BUCKET_MS, value: 70 }, { time: T0 + 2 * HOST_BUCKET_MS, value: 22.5 }]],
      ['host_memory|||vm-b', [{ time: T0, value: 37.5 }, { time: T0 + HOST_BUCKET_MS, value: 0 }, { time: T0 + 2 * HOST_BUCKET_MS, value: 2.5 }]],
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
      ['volume|Claims||', [[HOUR, 3], [2 * HOUR, 0], [3 * HOUR, 4]]],
      ['volume|Idle||', [[HOUR, 0], [2 * HOUR, 0], [3 * HOUR, 0]]],
      ['volume|Invoices||', [[HOUR, 0], [2 * HOUR, 5], [3 * HOUR, 0]]],
    ]);
    expect(hourlySeries(starts, ['Claims'], T0 + HOUR, T0 + HOUR + 60_000)).toEqual([]);
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
    const runs = [run(1, 'failed', 'business'), run(2, 'failed', 'system'), run(3, 'completed'), run(4, 'timeout', 'timeout'), run(5, 'failed'), run(6, 'running')];
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
