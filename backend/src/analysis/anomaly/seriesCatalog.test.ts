import { Random } from '../../sim/random';
import type { HostUsage } from '../../store/store';
import { HOST_BUCKET_MS, hostSeries, hourlySeries } from './seriesCatalog';

const T0 = Date.UTC(2026, 10, 2);
const HOUR = 3_600_000;

describe('hostSeries', () => {
  const sample = (host: string, time: number, cpuPercent: number, used: number): HostUsage => ({ host, time, cpuPercent, memoryUsedBytes: used, memoryTotalBytes: 8e9 });
  const plain = (series: ReturnType<typeof hostSeries>) => series.map(({ id, points }) => [id.key, Array.from({ length: points.length }, (_, i) => points.at(i))]);

  it('gives each host its 5-minute means, in the order the buckets come, whatever order the samples come in', () => {
    // Two samples a bucket for vm-b, one for vm-a; vm-a starts a bucket later.
    const samples = [
      sample('vm-b', T0, 10, 2e9),
      sample('vm-b', T0 + 60_000, 30, 4e9),
      sample('vm-a', T0 + HOST_BUCKET_MS, 50, 8e9),
      sample('vm-b', T0 + HOST_BUCKET_MS + 1, 70, 0),
      sample('vm-b', T0 + 3 * HOST_BUCKET_MS - 1, 90, 0),
    ];
    const series = plain(hostSeries(samples, T0, T0 + 3 * HOST_BUCKET_MS));
    expect(series).toEqual([
      ['host_cpu|||vm-b', [{ time: T0, value: 20 }, { time: T0 + HOST_BUCKET_MS, value: 70 }, { time: T0 + 2 * HOST_BUCKET_MS, value: 90 }]],
      ['host_memory|||vm-b', [{ time: T0, value: 37.5 }, { time: T0 + HOST_BUCKET_MS, value: 0 }, { time: T0 + 2 * HOST_BUCKET_MS, value: 0 }]],
      ['host_cpu|||vm-a', [{ time: T0 + HOST_BUCKET_MS, value: 50 }]],
      ['host_memory|||vm-a', [{ time: T0 + HOST_BUCKET_MS, value: 100 }]],
    ]);
    const random = new Random(3);
    const shuffled = [...samples].sort(() => random.uniform(-1, 1));
    expect(plain(hostSeries(shuffled, T0, T0 + 3 * HOST_BUCKET_MS))).toEqual(series);
    // Samples outside [from, to) are left out: the first and the last.
    expect(plain(hostSeries(samples, T0 + 1, T0 + 3 * HOST_BUCKET_MS - 1))[0]).toEqual(['host_cpu|||vm-b', [{ time: T0, value: 30 }, { time: T0 + HOST_BUCKET_MS, value: 70 }]]);
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
