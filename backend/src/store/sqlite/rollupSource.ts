import type Database from 'better-sqlite3';
import { ROLLUP_KIND, type RollupSource } from '../rollups';
import type { Dictionaries } from './dictionaries';

/** Past this many (bucket, group) pairs, rows are read by scanning the buckets instead of one seek each. */
const MAX_SEEKS = 50_000;

/**
 * SQLite's rollups table as a rollup source. Rows are keyed by bucket before group (a batch
 * rewrites rows of the same few buckets, which then share pages). Rows of runs (a group per
 * status, a handful) and of every workflow's steps are read by scanning the buckets; the steps
 * of some workflows by a seek per bucket and workflow, not a scan of every workflow's rows.
 */
export function sqliteRollupSource(db: Database.Database, dictionaries: Dictionaries): RollupSource {
  const everyGroup = db.prepare('SELECT grp, bucket, entries FROM rollups WHERE kind = ? AND resolution = ? AND bucket >= ? AND bucket < ?').raw();
  return {
    rows(kind, resolution, groups, from, to) {
      if (groups === 'workflows') return everyGroup.all(kind, resolution, from, to) as Array<[number, number, Buffer]>;
      if (groups.length === 0) return [];
      // Ids are integers of ours, written into the SQL.
      const list = `(${groups.join(',')})`;
      const first = Math.ceil(from / resolution) * resolution;
      const count = Math.max(0, Math.ceil((to - first) / resolution));
      if (kind === ROLLUP_KIND.runs || count * groups.length > MAX_SEEKS) {
        return db
          .prepare(`SELECT grp, bucket, entries FROM rollups WHERE kind = ? AND resolution = ? AND bucket >= ? AND bucket < ? AND grp IN ${list}`)
          .raw()
          .all(kind, resolution, from, to) as Array<[number, number, Buffer]>;
      }
      const buckets = JSON.stringify(Array.from({ length: count }, (_, i) => first + i * resolution));
      return db
        .prepare(`SELECT grp, bucket, entries FROM rollups WHERE kind = ? AND resolution = ? AND bucket IN (SELECT value FROM json_each(?)) AND grp IN ${list}`)
        .raw()
        .all(kind, resolution, buckets) as Array<[number, number, Buffer]>;
    },
    workflows: dictionaries.workflows,
    stepNames: dictionaries.stepNames,
  };
}
