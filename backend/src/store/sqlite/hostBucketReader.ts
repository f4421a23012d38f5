import type Database from 'better-sqlite3';
import type { HostBuckets } from '../store';
import { ANALYSIS_MEMORY_SQL, SAMPLE_MEASURE_SQL } from '../sampleMeasures';
import { PackedNumbers, packedRow } from './packedRows';
import { SAMPLE_ROLLUP_RESOLUTIONS } from './sampleRollups';
import { SqliteSum } from './sqliteSum';

const MINUTE = SAMPLE_ROLLUP_RESOLUTIONS.minute;

/**
 * Hosts' samples summed per bucket of time, for the analysis. Buckets of whole minutes come from
 * the minute rollups of the samples (a sampler at 1 s: a row a minute, not sixty), read in key
 * order as one packed text and added up here as SQLite's `sum()` adds; other buckets are summed by
 * SQLite from the samples.
 */
export class HostBucketReader {
  private readonly minutes: Database.Statement<[number, number, number], string | null>;
  private readonly grouped: Database.Statement<[number, number, number, number], string | null>;

  constructor(db: Database.Database) {
    // Samples with no memory total have no memory sum: they count as using none, as below.
    this.minutes = db
      .prepare(
        `SELECT group_concat(${packedRow(['bucket', 'cpu_n', 'cpu_sum', 'memory_sum', 'disk_used_n', 'disk_used_sum'])}, ',') FROM sample_rollups WHERE resolution = ${MINUTE} AND host_id = ? AND bucket >= ? AND bucket < ?`,
      )
      .pluck() as Database.Statement<[number, number, number], string | null>;
    this.grouped = db
      .prepare(
        `SELECT group_concat(${packedRow(['b', 'n', 'c', 'm', 'dn', 'd'])}, ',') FROM (
          SELECT s.ts - s.ts % ? AS b, count(*) AS n, sum(${SAMPLE_MEASURE_SQL.cpuPercent}) AS c, sum(${ANALYSIS_MEMORY_SQL}) AS m,
            count(${SAMPLE_MEASURE_SQL.diskUsedPercent}) AS dn, sum(${SAMPLE_MEASURE_SQL.diskUsedPercent}) AS d
          FROM resource_samples s WHERE s.host_id = ? AND s.ts >= ? AND s.ts < ? GROUP BY b ORDER BY b)`,
      )
      .pluck() as Database.Statement<[number, number, number, number], string | null>;
  }

  /** The buckets of each of `hosts` (in the order given) that hold samples in [from, to). */
  read(hosts: ReadonlyArray<readonly [id: number, name: string]>, from: number, to: number, bucketMs: number): HostBuckets[] {
    const inMinutes = bucketMs % MINUTE === 0 && from % MINUTE === 0 && to % MINUTE === 0;
    const out: HostBuckets[] = [];
    for (const [id, host] of hosts) {
      const buckets =
        (inMinutes ? this.summed(host, this.minutes.get(id, from, to)!, bucketMs) : undefined) ??
        this.fromGroups(host, this.grouped.get(bucketMs, id, from, to)!);
      if (buckets.times.length > 0) out.push(buckets);
    }
    return out;
  }

  /** Minute rows of (minute, samples, CPU % sum, memory % sum, disk samples, disk % sum) added up per bucket; undefined if a minute goes back. */
  private summed(host: string, text: string | null, bucketMs: number): HostBuckets | undefined {
    const buckets: HostBuckets = { host, times: [], samples: [], cpuPercent: [], memoryPercent: [], diskSamples: [], diskPercent: [] };
    const numbers = new PackedNumbers(text);
    const cpu = new SqliteSum();
    const memory = new SqliteSum();
    const disk = new SqliteSum();
    let bucket = Number.NaN;
    let count = 0;
    let diskCount = 0;
    let last = -Infinity;
    const close = () => {
      if (count === 0) return;
      buckets.times.push(bucket);
      buckets.samples.push(count);
      buckets.cpuPercent.push(cpu.value);
      buckets.memoryPercent.push(memory.value);
      buckets.diskSamples.push(diskCount);
      buckets.diskPercent.push(disk.value);
    };
    while (!numbers.done) {
      const minute = numbers.next()!;
      const samples = numbers.next()!;
      const cpuPercent = numbers.next()!;
      const memoryPercent = numbers.next() ?? 0;
      const diskSamples = numbers.next() ?? 0;
      const diskPercent = numbers.next() ?? 0;
      if (minute < last) return undefined;
      last = minute;
      const start = minute - (minute % bucketMs);
      if (start !== bucket) {
        close();
        bucket = start;
        count = 0;
        diskCount = 0;
        cpu.reset();
        memory.reset();
        disk.reset();
      }
      count += samples;
      diskCount += diskSamples;
      cpu.add(cpuPercent);
      memory.add(memoryPercent);
      if (diskSamples > 0) disk.add(diskPercent);
    }
    close();
    return buckets;
  }

  /** Rows of (bucket, samples, CPU % sum, memory % sum, disk samples, disk % sum), in bucket order (put in it if not). */
  private fromGroups(host: string, text: string | null): HostBuckets {
    const rows: number[][] = [];
    const numbers = new PackedNumbers(text);
    while (!numbers.done) rows.push([numbers.next()!, numbers.next()!, numbers.next()!, numbers.next()!, numbers.next() ?? 0, numbers.next() ?? 0]);
    rows.sort((a, b) => a[0] - b[0]);
    const column = (i: number) => rows.map((r) => r[i]);
    return { host, times: column(0), samples: column(1), cpuPercent: column(2), memoryPercent: column(3), diskSamples: column(4), diskPercent: column(5) };
  }
}
