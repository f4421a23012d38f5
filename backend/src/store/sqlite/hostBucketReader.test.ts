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

  it('sums dense and sparse hosts the same whether it reads their rows or SQLite sums them', () => {
    const store = new SqliteStore({ file: path.join(tmp.dir, 'hosts.db') });
    const random = new Random(11);
    const sample = (host: string, time: number) => ({
      host, time, cpuPercent: random.uniform(0, 100), memoryUsedBytes: Math.round(random.uniform(0, 16e9)), memoryTotalBytes: random.chance(0.05) ? 0 : 16e9,
      diskReadBytesPerSec: 0, diskWriteBytesPerSec: 0, netRxBytesPerSec: 0, netTxBytesPerSec: 0,
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
    const byRows = new HostBucketReader(db, Infinity).read(hosts, T0, T0 + 3600_000, BUCKET);
    const bySqlite = new HostBucketReader(db, 0).read(hosts, T0, T0 + 3600_000, BUCKET);
    expect(byRows).toEqual(bySqlite);
    // What the store answers: the dense host summed by SQLite, the others read row by row.
    expect(store.hostBuckets(T0, T0 + 3600_000, BUCKET)).toEqual(byRows);

    const [dense, gaps, sparse] = byRows;
    expect([dense.host, gaps.host, sparse.host]).toEqual(['dense', 'gaps', 'sparse']);
    expect(dense.times).toEqual(Array.from({ length: 12 }, (_, i) => T0 + i * BUCKET));
    expect(dense.samples).toEqual(Array(12).fill(300));
    expect(gaps).toMatchObject({ times: [T0, T0 + 2 * BUCKET], samples: [3, 2] });
    expect(sparse.samples).toEqual(Array(12).fill(1));
    // Known answers: the first bucket of each host, added up here from the samples themselves.
    const memory = (s: ReturnType<typeof sample>) => (s.memoryTotalBytes > 0 ? (100 * s.memoryUsedBytes) / s.memoryTotalBytes : 0);
    const first = samples.filter((s) => s.host === 'gaps' && s.time < T0 + BUCKET);
    expect(gaps.cpuPercent[0]).toBeCloseTo(first.reduce((sum, s) => sum + s.cpuPercent, 0), 9);
    expect(gaps.memoryPercent[0]).toBeCloseTo(first.reduce((sum, s) => sum + memory(s), 0), 9);
    expect(sparse.cpuPercent[3]).toBe(samples.filter((s) => s.host === 'sparse')[3].cpuPercent);
    const firstDense = samples.filter((s) => s.host === 'dense' && s.time < T0 + BUCKET);
    expect(dense.cpuPercent[0]).toBeCloseTo(firstDense.reduce((sum, s) => sum + s.cpuPercent, 0), 6);
    store.close();
  });
});
