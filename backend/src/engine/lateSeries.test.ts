import { HOST_BUCKET_MS, hostSeries, type SeriesPoints } from '../analysis/anomaly/seriesCatalog';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { hostSample } from '../testing/harness';
import { HOSTS_PER_READ, readHostSeries } from './lateSeries';

const T0 = Date.UTC(2026, 10, 2);
const MINUTE = 60_000;

describe('readHostSeries', () => {
  it('reads the hosts a few at a time, hands each read on before the next, and gives them all in the order of one read', () => {
    const store = new SqliteStore({ file: ':memory:' });
    // The hosts' samples start at different times, so the order by first bucket is not the order by name.
    const starts: Record<string, number> = { 'vm-c': 0, 'vm-a': 2, 'vm-b': 0, 'vm-d': 1, 'vm-e': 0 };
    const samples = Object.entries(starts).flatMap(([host, start], h) =>
      Array.from({ length: 6 - start }, (_, i) => hostSample(host, T0 + (start + i) * HOST_BUCKET_MS + MINUTE, 10 * h + i)),
    );
    store.ingest({ executions: [], steps: [], samples });
    const range = { from: T0, to: T0 + 6 * HOST_BUCKET_MS };
    const keep = (id: SeriesPoints['id']) => id.host !== 'vm-d';
    const reference = hostSeries(store.hostBuckets(range.from, range.to, HOST_BUCKET_MS))
      .filter((s) => keep(s.id))
      .map((s) => s.id.key);

    const steps: string[] = [];
    const reads = jest.spyOn(store, 'hostBuckets').mockName('hostBuckets');
    reads.mockImplementation(function (this: SqliteStore, ...args) {
      steps.push(`read ${args[3]!.join(' ')}`);
      return SqliteStore.prototype.hostBuckets.apply(this, args);
    });
    const series = readHostSeries(store, range, keep, (handed) => steps.push(`hand ${handed.map((s) => s.id.key).join(' ')}`));

    expect(HOSTS_PER_READ).toBe(2);
    expect(steps).toEqual([
      'read vm-a vm-b',
      'hand host_cpu|||vm-b host_memory|||vm-b host_cpu|||vm-a host_memory|||vm-a',
      'read vm-c vm-d',
      'hand host_cpu|||vm-c host_memory|||vm-c',
      'read vm-e',
      'hand host_cpu|||vm-e host_memory|||vm-e',
    ]);
    // As one read of them all orders them: by first bucket, by name where those tie.
    expect(series.map((s) => s.id.key)).toEqual(reference);
    expect(reference).toEqual([
      'host_cpu|||vm-b',
      'host_memory|||vm-b',
      'host_cpu|||vm-c',
      'host_memory|||vm-c',
      'host_cpu|||vm-e',
      'host_memory|||vm-e',
      'host_cpu|||vm-a',
      'host_memory|||vm-a',
    ]);
    store.close();
  });
});
