import type Database from 'better-sqlite3';
import type { HostBuckets } from '../store';
import { ANALYSIS_MEMORY_SQL, SAMPLE_MEASURE_SQL } from '../sampleMeasures';
import { PackedNumbers, packedRow } from './packedRows';
import { SqliteSum } from './sqliteSum';

const RANGE = 'FROM resource_samples s WHERE s.host_id = ? AND s.ts >= ? AND s.ts < ?';

/**
 * Hosts' samples summed per bucket of time. Where a host has few samples a bucket (the sampler's
 * interval near the bucket's width) they come back as one packed text and are summed here; where
 * it has many (a sampler at 1 s), SQLite sums them and only the buckets come back. Both add as
 * SQLite's `sum()` does, so a bucket is the same whichever way it was read.
 */
export class HostBucketReader {
  private readonly count: Database.Statement<[number, number, number], number>;
  private readonly rows: Database.Statement<[number, number, number], string | null>;
  private readonly grouped: Database.Statement<[number, number, number, number], string | null>;

  /**
   * @param denseAbove samples per bucket (on average over the range) past which SQLite sums them;
   * other values only for tests that read the same samples both ways.
   */
  constructor(
    db: Database.Database,
    private readonly denseAbove = 2,
  ) {
    this.count = db.prepare(`SELECT count(*) ${RANGE}`).pluck() as Database.Statement<[number, number, number], number>;
    // In key order, which is time order within a host (checked as read).
    this.rows = db.prepare(`SELECT group_concat(${packedRow(['s.ts', 's.cpu_percent', 's.memory_used', 's.memory_total'])}, ',') ${RANGE}`).pluck() as Database.Statement<[number, number, number], string | null>;
    this.grouped = db
      .prepare(
        `SELECT group_concat(${packedRow(['b', 'n', 'c', 'm'])}, ',') FROM (
          SELECT s.ts - s.ts % ? AS b, count(*) AS n, sum(${SAMPLE_MEASURE_SQL.cpuPercent}) AS c, sum(${ANALYSIS_MEMORY_SQL}) AS m ${RANGE} GROUP BY b ORDER BY b)`,
      )
      .pluck() as Database.Statement<[number, number, number, number], string | null>;
  }

  /** The buckets of each of `hosts` (in the order given) that hold samples in [from, to). */
  read(hosts: ReadonlyArray<readonly [id: number, name: string]>, from: number, to: number, bucketMs: number): HostBuckets[] {
    const out: HostBuckets[] = [];
    const slots = Math.ceil((to - from) / bucketMs) + 1;
    for (const [id, host] of hosts) {
      const samples = this.count.get(id, from, to)!;
      if (samples === 0) continue;
      const buckets = (samples > this.denseAbove * slots ? undefined : this.summed(host, this.rows.get(id, from, to)!, bucketMs)) ?? this.fromGroups(host, this.grouped.get(bucketMs, id, from, to)!);
      out.push(buckets);
    }
    return out;
  }

  /** Rows of (time, CPU %, memory used, memory total) summed per bucket; undefined if a time goes back. */
  private summed(host: string, text: string, bucketMs: number): HostBuckets | undefined {
    const buckets: HostBuckets = { host, times: [], samples: [], cpuPercent: [], memoryPercent: [] };
    const numbers = new PackedNumbers(text);
    const cpu = new SqliteSum();
    const memory = new SqliteSum();
    let bucket = Number.NaN;
    let count = 0;
    let last = -Infinity;
    const close = () => {
      if (count === 0) return;
      buckets.times.push(bucket);
      buckets.samples.push(count);
      buckets.cpuPercent.push(cpu.value);
      buckets.memoryPercent.push(memory.value);
    };
    while (!numbers.done) {
      const time = numbers.next()!;
      const cpuPercent = numbers.next()!;
      const used = numbers.next()!;
      const total = numbers.next()!;
      if (time < last) return undefined;
      last = time;
      const start = time - (time % bucketMs);
      if (start !== bucket) {
        close();
        bucket = start;
        count = 0;
        cpu.reset();
        memory.reset();
      }
      count++;
      cpu.add(cpuPercent);
      memory.add(total > 0 ? (100 * used) / total : 0);
    }
    close();
    return buckets;
  }

  /** Rows of (bucket, samples, CPU % sum, memory % sum), in bucket order (put in it if not). */
  private fromGroups(host: string, text: string): HostBuckets {
    const rows: Array<[number, number, number, number]> = [];
    const numbers = new PackedNumbers(text);
    while (!numbers.done) rows.push([numbers.next()!, numbers.next()!, numbers.next()!, numbers.next()!]);
    rows.sort((a, b) => a[0] - b[0]);
    return { host, times: rows.map((r) => r[0]), samples: rows.map((r) => r[1]), cpuPercent: rows.map((r) => r[2]), memoryPercent: rows.map((r) => r[3]) };
  }
}
