import type Database from 'better-sqlite3';
import { QuantileDigest } from '../../analysis/quantileDigest';
import { encodeEntries } from '../rollupEntries';
import { ROLLUP_KIND } from '../rollups';

type OldRow = [key: number, count: number, timed: number, sum: number, min: number | null, max: number | null, digest: Buffer | null];

/**
 * Schema version 6: packs the one-row-per-workflow rollups of version 4 into rows of a whole
 * bucket (runs: per resolution, bucket and status; steps: per bucket and workflow), keeping
 * every count, sum and digest. One packed row is gathered at a time, by an index seek, so a
 * large file does not have to fit in memory.
 */
export function packRollups(db: Database.Database): void {
  const insert = db.prepare('INSERT INTO rollups (kind, resolution, grp, bucket, entries) VALUES (?, ?, ?, ?, ?)');
  const pack = (kind: number, keysSql: string, rowSql: string) => {
    const entriesOf = db.prepare(rowSql).raw();
    for (const [resolution, group, bucket] of db.prepare(keysSql).raw().all() as Array<[number, number, number]>) {
      const entries = (entriesOf.all(resolution, group, bucket) as OldRow[]).map(([key, count, timed, sum, min, max, digest]) => ({
        key,
        count,
        timed,
        sum,
        min,
        max,
        digest: digest && timed > 0 ? QuantileDigest.decode(digest) : undefined,
      }));
      insert.run(kind, resolution, group, bucket, encodeEntries(entries));
    }
  };
  db.exec('CREATE INDEX run_rollups_by_status ON run_rollups(resolution, status, bucket)');
  pack(
    ROLLUP_KIND.runs,
    'SELECT DISTINCT resolution, status, bucket FROM run_rollups',
    'SELECT workflow_id, runs, timed, sum_ms, min_ms, max_ms, digest FROM run_rollups INDEXED BY run_rollups_by_status WHERE resolution = ? AND status = ? AND bucket = ?',
  );
  pack(
    ROLLUP_KIND.steps,
    'SELECT DISTINCT resolution, workflow_id, bucket FROM step_rollups',
    'SELECT step_id, steps, steps, sum_ms, min_ms, max_ms, digest FROM step_rollups WHERE resolution = ? AND workflow_id = ? AND bucket = ?',
  );
  db.exec('DROP TABLE run_rollups; DROP TABLE step_rollups;');
}
