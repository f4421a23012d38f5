import path from 'node:path';
import { Random } from '../../sim/random';
import { tempDir } from '../../testing/harness';
import { HostBucketReader } from './hostBucketReader';
import { SqliteStore } from './sqliteStore';

const T0 = Date.UTC(2026, 10, 2);
const BUCKET = 5 * 60_000;

describe('HostBucketReader', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('sums dense, sparse and gappy hosts from the minute rollups as SQLite sums their samples', () => {
    const store = new SqliteStore({ file: path.join(tmp.dir, 'hosts.db') });
    const random = new Random(11);
    const sample = (host: string, time: number) => ({
      host,
      time,
      cpuPercent: random.uniform(0, 100),
      memoryUsedBytes: Math.round(random.uniform(0, 16e9)),
      memoryTotalBytes: random.chance(0.05) ? 0 : 16e9,
      diskReadBytesPerSec: 0,
      diskWriteBytesPerSec: 0,
      netRxBytesPerSec: 0,
      netTxBytesPerSec: 0,
    });
    // A sampler at 1 s on one host (300 a bucket), one every 5 minutes on another, and a third
    // with gaps: buckets without samples are left out.
    const samples = [
      ...Array.from({ length: 3600 }, (_, i) => sample('dense', T0 + i * 1000)),
      ...Array.from({ length: 12 }, (_, i) => sample('sparse', T0 + i * BUCKET + 7000)),
      ...[0, 1, 2, 11, 12].map((minute) => sample('gaps', T0 + minute * 60_000)),
    ];
    store.ingest({ executions: [], steps: [], samples });
    const db = (store as unknown as { db: ConstructorParameters<typeof HostBucketReader>[0] }).db;
    const hosts = db.prepare('SELECT id, name FROM hosts ORDER BY name').raw().all() as Array<[number, string]>;
    const reader = new HostBucketReader(db);
    const byMinutes = reader.read(hosts, T0, T0 + 3600_000, BUCKET);
    // A range that does not start on a minute is summed from the samples.
    const bySamples = reader.read(hosts, T0 - 1, T0 + 3600_000, BUCKET);
    expect(byMinutes.map(({ cpuPercent, memoryPercent, ...rest }) => rest)).toEqual(bySamples.map(({ cpuPercent, memoryPercent, ...rest }) => rest));
    // Sums of minutes' sums: equal but for the last bits.
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
    byMinutes.forEach((host, h) => {
      host.cpuPercent.forEach((sum, i) => close(sum, bySamples[h].cpuPercent[i]));
      host.memoryPercent.forEach((sum, i) => close(sum, bySamples[h].memoryPercent[i]));
    });
    expect(store.hostBuckets(T0, T0 + 3600_000, BUCKET)).toEqual(byMinutes);

    const [dense, gaps, sparse] = byMinutes;
    expect([dense.host, gaps.host, sparse.host]).toEqual(['dense', 'gaps', 'sparse']);
    expect(dense.times).toEqual(Array.from({ length: 12 }, (_, i) => T0 + i * BUCKET));
    expect(dense.samples).toEqual(Array(12).fill(300));
    expect(gaps).toMatchObject({ times: [T0, T0 + 2 * BUCKET], samples: [3, 2] });
    expect(sparse.samples).toEqual(Array(12).fill(1));
    // Known answers: the first bucket of each host, added up here from the samples themselves.
    const memory = (s: ReturnType<typeof sample>) => (s.memoryTotalBytes > 0 ? (100 * s.memoryUsedBytes) / s.memoryTotalBytes : 0);
    const first = samples.filter((s) => s.host === 'gaps' && s.time < T0 + BUCKET);
    expect(gaps.cpuPercent[0]).toBeCloseTo(
      first.reduce((sum, s) => sum + s.cpuPercent, 0),
      9,
    );
    expect(gaps.memoryPercent[0]).toBeCloseTo(
      first.reduce((sum, s) => sum + memory(s), 0),
      9,
    );
    expect(sparse.cpuPercent[3]).toBe(samples.filter((s) => s.host === 'sparse')[3].cpuPercent);
    const firstDense = samples.filter((s) => s.host === 'dense' && s.time < T0 + BUCKET);
    expect(dense.cpuPercent[0]).toBeCloseTo(
      firstDense.reduce((sum, s) => sum + s.cpuPercent, 0),
      6,
    );
    store.close();
  });
});
