import type Database from 'better-sqlite3';
import type { RollupSource } from '../rollups';
import type { Dictionaries } from './dictionaries';

/** SQLite's rollups table as a rollup source. */
export function sqliteRollupSource(db: Database.Database, dictionaries: Dictionaries): RollupSource {
  return {
    rows(kind, resolution, groups, from, to) {
      // Ids are integers of ours: written into the SQL, the row key leads with them, so each is a seek.
      const list = groups === 'workflows' ? '(SELECT id FROM workflows)' : `(${groups.join(',')})`;
      return db
        .prepare(`SELECT grp, bucket, entries FROM rollups WHERE kind = ? AND resolution = ? AND grp IN ${list} AND bucket >= ? AND bucket < ?`)
        .raw()
        .all(kind, resolution, from, to) as Array<[number, number, Buffer]>;
    },
    workflows: dictionaries.workflows,
    stepNames: dictionaries.stepNames,
  };
}
