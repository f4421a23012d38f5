import type Database from 'better-sqlite3';
import { AppError } from '../../domain/errors';
import { executionStatusCodec } from '../codes';
import type { Arrivals, ChangeSet } from '../store';
import { arrivedKeys, type ChangeRow, changedKeys, type PlacedRun } from '../changeKeys';

/** What one write touched: execution ids, sample keys (host, time), anomaly and insight ids. */
export interface ChangeEntry {
  executions?: readonly string[];
  /** Of `executions`, those whose start the write placed: new runs, a start or workflow corrected (with where it was). */
  started?: readonly PlacedRun[];
  samples?: ReadonlyArray<readonly [string, number]>;
  anomalies?: readonly string[];
  insights?: readonly string[];
}

/** Loads the current state of what the log names; the feed always serves the latest state. */
export interface ChangeLoaders {
  execution(id: string): ChangeSet['executions'][number] | undefined;
  sample(host: string, time: number): ChangeSet['samples'][number] | undefined;
  anomaly(id: string): ChangeSet['anomalies'][number] | undefined;
  insight(id: string): ChangeSet['insights'][number] | undefined;
}

const json = (ids: readonly unknown[] | undefined) => (ids && ids.length > 0 ? JSON.stringify(ids) : null);

/**
 * The change feed's log: one row per write (a batch, an analysis commit), appended in the same
 * transaction as the write, so a cursor never skips something committed nor names something
 * rolled back. Rows older than the feed keeps are pruned; a cursor from before then is refused.
 */
export class ChangeLog {
  private readonly insert: Database.Statement;
  private readonly after: Database.Statement<[number, number], ChangeRow>;
  private readonly latestSeq: Database.Statement<[], { seq: number }>;
  private readonly oldestSeq: Database.Statement<[], { seq: number | null }>;
  private readonly prune: Database.Statement<[number]>;
  private readonly arrivedRows: Database.Statement<[number, number], Pick<ChangeRow, 'executions' | 'samples'> & { started: string | null }>;
  private readonly arrivedRuns: Database.Statement<
    [string],
    { id: string; workflow: string; robot: string | null; startedAt: number; endedAt: number | null; status: number }
  >;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO changes (at, executions, samples, anomalies, insights, started) VALUES (?, ?, ?, ?, ?, ?)');
    this.arrivedRows = db.prepare('SELECT executions, samples, started FROM changes WHERE seq > ? AND seq <= ? ORDER BY seq');
    this.arrivedRuns = db.prepare(
      'SELECT e.ext_id AS id, w.name AS workflow, r.name AS robot, e.started_at AS startedAt, e.ended_at AS endedAt, e.status FROM json_each(?) j JOIN executions e ON e.ext_id = j.value JOIN workflows w ON w.id = e.workflow_id LEFT JOIN robots r ON r.id = e.robot_id',
    );
    this.after = db.prepare('SELECT seq, executions, samples, anomalies, insights FROM changes WHERE seq > ? ORDER BY seq LIMIT ?');
    this.latestSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'");
    this.oldestSeq = db.prepare('SELECT min(seq) AS seq FROM changes');
    this.prune = db.prepare('DELETE FROM changes WHERE at < ?');
  }

  /** Call inside the write's transaction. Nothing is logged for a write that touched nothing. */
  append(entry: ChangeEntry, at = Date.now()): void {
    const row = [json(entry.executions), json(entry.samples), json(entry.anomalies), json(entry.insights), json(entry.started)];
    if (row.every((v) => v === null)) return;
    this.insert.run(at, ...row);
  }

  latest(): number {
    return this.latestSeq.get()?.seq ?? 0;
  }

  /** Deletes log rows written before `before` (epoch ms); returns how many. */
  pruneBefore(before: number): number {
    return this.prune.run(before).changes;
  }

  /** The runs and hosts the writes in (`after`, `through`] created or changed (`Store.arrivals`). */
  arrivals(after: number, through: number): Arrivals {
    this.checkCursor(after);
    const { runs: ids, placed, vacated, hosts } = arrivedKeys(this.arrivedRows.iterate(after, through));
    const runs: Arrivals['runs'] = [];
    if (ids.size > 0) {
      for (const run of this.arrivedRuns.iterate(JSON.stringify([...ids]))) {
        runs.push({
          workflow: run.workflow,
          ...(run.robot === null ? {} : { robot: run.robot }),
          startedAt: run.startedAt,
          ...(run.endedAt === null ? {} : { endedAt: run.endedAt }),
          status: executionStatusCodec.decode(run.status),
          placed: placed.has(run.id),
        });
      }
    }
    return { runs, vacated, hosts };
  }

  /** @throws AppError `gone` when the log no longer holds what followed `cursor`, or never did. */
  private checkCursor(cursor: number): number {
    const latest = this.latest();
    // A cursor from another feed (the database was replaced or restored): start again, as when gone.
    if (cursor > latest)
      throw new AppError('gone', `cursor ${cursor} is ahead of this collector's change feed (latest ${latest}); start again from the latest cursor`);
    const oldest = this.oldestSeq.get()?.seq ?? latest + 1;
    if (cursor > 0 && cursor < oldest - 1) {
      throw new AppError('gone', `cursor ${cursor} is older than the change feed keeps (oldest ${oldest}); start again from the latest cursor`);
    }
    return latest;
  }

  /**
   * What changed after `cursor`, from at most `limit` log rows, deduplicated, in its current state.
   * @throws AppError `gone` when rows after the cursor were pruned (the client must start again).
   */
  read(cursor: number, limit: number, load: ChangeLoaders): ChangeSet {
    const latest = this.checkCursor(cursor);
    const rows = this.after.all(cursor, limit + 1);
    const page = rows.slice(0, limit);
    const { executions, samples, anomalies, insights } = changedKeys(page);
    const present = <T>(values: Array<T | undefined>) => values.filter((v): v is T => v !== undefined);
    return {
      cursor: page.length > 0 ? page[page.length - 1].seq : cursor === 0 ? latest : cursor,
      more: rows.length > limit,
      executions: present([...executions].map((id) => load.execution(id))),
      samples: present(samples.map(([host, time]) => load.sample(host, time))),
      anomalies: present([...anomalies].map((id) => load.anomaly(id))),
      insights: present([...insights].map((id) => load.insight(id))),
    };
  }
}
