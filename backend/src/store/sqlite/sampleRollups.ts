import type Database from 'better-sqlite3';
import type { SampleBucket, SampleMeasure } from '../store';
import { SAMPLE_MEASURE_SQL } from '../sampleMeasures';
import type { Dictionaries } from './dictionaries';

/*
 * Rollups of resource samples, per host, workflow (0 for none) and minute or hour: for each
 * measure the count of samples that have it, their sum, min and max. Host panels over weeks read
 * these rather than samples a second. A batch's samples recompute the minutes they fall in from the
 * stored samples (so a sample sent again, or corrected, counts once, as stored), then those minutes'
 * hours from the minutes.
 */

export const SAMPLE_ROLLUP_RESOLUTIONS = { minute: 60_000, hour: 3_600_000 } as const;

/** Each measure's column prefix. */
const COLUMN: Record<SampleMeasure, string> = {
  cpuPercent: 'cpu',
  memoryPercent: 'memory',
  gpuPercent: 'gpu',
  diskUsedPercent: 'disk_used',
  diskReadBytesPerSec: 'disk_read',
  diskWriteBytesPerSec: 'disk_write',
  netRxBytesPerSec: 'net_rx',
  netTxBytesPerSec: 'net_tx',
};
const MEASURES = Object.keys(COLUMN) as SampleMeasure[];
const PARTS = ['n', 'sum', 'min', 'max'] as const;
const COLUMNS = MEASURES.flatMap((m) => PARTS.map((part) => `${COLUMN[m]}_${part}`));

export const SAMPLE_ROLLUPS_TABLE = `
  CREATE TABLE sample_rollups (
    resolution INTEGER NOT NULL,
    host_id INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    workflow_id INTEGER NOT NULL,
    ${MEASURES.map((m) => `${COLUMN[m]}_n INTEGER NOT NULL, ${COLUMN[m]}_sum REAL, ${COLUMN[m]}_min REAL, ${COLUMN[m]}_max REAL`).join(',\n    ')},
    PRIMARY KEY (resolution, host_id, bucket, workflow_id)
  ) WITHOUT ROWID;`;

/** Minutes from samples: the select list after the key columns. */
const FROM_SAMPLES = MEASURES.map((m) => {
  const value = SAMPLE_MEASURE_SQL[m];
  return `count(${value}), sum(${value}), min(${value}), max(${value})`;
}).join(', ');
/** Hours from minutes. */
const FROM_MINUTES = MEASURES.map((m) => `sum(${COLUMN[m]}_n), sum(${COLUMN[m]}_sum), min(${COLUMN[m]}_min), max(${COLUMN[m]}_max)`).join(', ');
const INSERT = `INSERT INTO sample_rollups (resolution, host_id, bucket, workflow_id, ${COLUMNS.join(', ')})`;
const { minute: MINUTE, hour: HOUR } = SAMPLE_ROLLUP_RESOLUTIONS;

/** Builds every rollup of the samples already stored (the migration that adds the table). */
export function rollUpStoredSamples(db: Database.Database): void {
  db.exec(`${INSERT}
    SELECT ${MINUTE}, s.host_id, s.ts - s.ts % ${MINUTE} AS b, coalesce(s.workflow_id, 0) AS w, ${FROM_SAMPLES}
    FROM resource_samples s GROUP BY s.host_id, b, w`);
  db.exec(`${INSERT}
    SELECT ${HOUR}, host_id, bucket - bucket % ${HOUR} AS b, workflow_id, ${FROM_MINUTES}
    FROM sample_rollups WHERE resolution = ${MINUTE} GROUP BY host_id, b, workflow_id`);
}

/** Keeps the rollups of the minutes a batch's samples fell in, inside the batch's transaction. */
export class SampleRollupWriter {
  private readonly clear: Database.Statement;
  private readonly minute: Database.Statement;
  private readonly hour: Database.Statement;

  constructor(db: Database.Database) {
    this.clear = db.prepare('DELETE FROM sample_rollups WHERE resolution = @resolution AND host_id = @host AND bucket = @bucket');
    this.minute = db.prepare(`${INSERT}
      SELECT ${MINUTE}, @host, @bucket, coalesce(s.workflow_id, 0) AS w, ${FROM_SAMPLES}
      FROM resource_samples s WHERE s.host_id = @host AND s.ts >= @bucket AND s.ts < @bucket + ${MINUTE} GROUP BY w`);
    this.hour = db.prepare(`${INSERT}
      SELECT ${HOUR}, @host, @bucket, workflow_id, ${FROM_MINUTES}
      FROM sample_rollups WHERE resolution = ${MINUTE} AND host_id = @host AND bucket >= @bucket AND bucket < @bucket + ${HOUR} GROUP BY workflow_id`);
  }

  /** @param touched each host id's sample times in the batch */
  update(touched: ReadonlyMap<number, readonly number[]>): void {
    for (const [host, times] of touched) {
      const minutes = new Set(times.map((t) => t - (t % MINUTE)));
      for (const bucket of minutes) {
        this.clear.run({ resolution: MINUTE, host, bucket });
        this.minute.run({ host, bucket });
      }
      for (const bucket of new Set([...minutes].map((m) => m - (m % HOUR)))) {
        this.clear.run({ resolution: HOUR, host, bucket });
        this.hour.run({ host, bucket });
      }
    }
  }
}

/** Reads one measure of the rollups of one resolution, buckets in [from, to), of some hosts (all when undefined). */
export function readSampleRollups(
  db: Database.Database,
  dictionaries: Dictionaries,
  query: { hostIds?: number[]; from: number; to: number; resolution: number; measure: SampleMeasure },
): SampleBucket[] {
  const c = COLUMN[query.measure];
  const hosts = query.hostIds ? `AND host_id IN (${query.hostIds.map(() => '?').join(',')})` : '';
  const rows = db
    .prepare(
      `SELECT host_id, workflow_id, bucket, ${c}_n, ${c}_sum, ${c}_min, ${c}_max FROM sample_rollups
       WHERE resolution = ? AND bucket >= ? AND bucket < ? ${hosts} AND ${c}_n > 0`,
    )
    .raw()
    .all(query.resolution, query.from, query.to, ...(query.hostIds ?? [])) as SampleBucketRow[];
  return sampleBucketsOf(rows, dictionaries);
}

/** host id, workflow id (0 or null for none), bucket, count, sum, min, max. */
export type SampleBucketRow = [number, number | null, number, number, number, number, number];

/** Rows of summed samples, from rollups or from the samples, with their names. */
export function sampleBucketsOf(rows: readonly SampleBucketRow[], dictionaries: Dictionaries): SampleBucket[] {
  return rows.map(([hostId, workflowId, time, count, sum, min, max]) => {
    const bucket: SampleBucket = { host: dictionaries.hosts.nameOf(hostId), time, count, sum, min, max };
    if (workflowId) bucket.workflow = dictionaries.workflows.nameOf(workflowId);
    return bucket;
  });
}
