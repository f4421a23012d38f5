// The change log that live panels and the analysis resume from: the PostgreSQL side of `sqlite/changeLog.ts`.
import type { ClientBase } from 'pg';
import { AppError } from '../../domain/errors';
import type { Arrivals, ChangeSet } from '../store';
import { executionStatusCodec } from '../codes';
import { arrivedKeys, changedKeys } from '../changeKeys';
import { getExecution, sample } from './executionReader';
import { all, writing } from './query';
import { getAnomaly, getInsight } from './resultsRepository';

export async function latestChange(client: ClientBase): Promise<number> {
  // The sequence's last value (pruned rows do not take a cursor back), read under the lock every
  // writer holds until it commits: a number taken by a write still in flight would let a cursor
  // pass over that write once it commits.
  let seq = 0;
  await writing(client, async () => {
    const [row] = await all<{ seq: number }>(
      client,
      "SELECT coalesce((SELECT last_value FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename) = pg_get_serial_sequence('changes', 'seq')), 0) AS seq",
    );
    seq = Number(row.seq);
  });
  return seq;
}

/** @throws AppError `gone` when the log no longer holds what followed `cursor`, or never did. */
async function checkCursor(client: ClientBase, cursor: number): Promise<number> {
  const latest = await latestChange(client);
  if (cursor > latest)
    throw new AppError('gone', `cursor ${cursor} is ahead of this collector's change feed (latest ${latest}); start again from the latest cursor`);
  const [{ oldest }] = await all<{ oldest: number | null }>(client, 'SELECT min(seq) AS oldest FROM changes');
  if (cursor > 0 && cursor < (oldest ?? latest + 1) - 1) {
    throw new AppError('gone', `cursor ${cursor} is older than the change feed keeps (oldest ${oldest ?? latest + 1}); start again from the latest cursor`);
  }
  return latest;
}

/** The runs and hosts the writes in (`after`, `through`] created or changed (`Store.arrivals`). */
export async function arrivals(client: ClientBase, after: number, through: number): Promise<Arrivals> {
  await checkCursor(client, after);
  const rows = await all<{ executions: string | null; samples: string | null; started: string | null }>(
    client,
    'SELECT executions, samples, started FROM changes WHERE seq > ? AND seq <= ? ORDER BY seq',
    [after, through],
  );
  const { runs: ids, placed, vacated, hosts } = arrivedKeys(rows);
  const runs: Arrivals['runs'] = [];
  if (ids.size > 0) {
    const found = await all<{ ext_id: string; workflow: string; robot: string | null; started_at: number; ended_at: number | null; status: number }>(
      client,
      'SELECT e.ext_id, w.name AS workflow, r.name AS robot, e.started_at, e.ended_at, e.status FROM executions e JOIN workflows w ON w.id = e.workflow_id LEFT JOIN robots r ON r.id = e.robot_id WHERE e.ext_id = ANY(?::text[])',
      [[...ids]],
    );
    for (const run of found) {
      runs.push({
        workflow: run.workflow,
        ...(run.robot === null ? {} : { robot: run.robot }),
        startedAt: Number(run.started_at),
        ...(run.ended_at === null ? {} : { endedAt: Number(run.ended_at) }),
        status: executionStatusCodec.decode(run.status),
        placed: placed.has(run.ext_id),
      });
    }
  }
  return { runs, vacated, hosts };
}

export async function pruneChanges(client: ClientBase, before: number): Promise<number> {
  return (await client.query('DELETE FROM changes WHERE at < $1', [before])).rowCount ?? 0;
}

/**
 * What changed after `cursor` (as SQLite's change log reads it).
 * @throws AppError `gone` when the cursor is ahead of the feed or older than the log keeps.
 */
export async function changes(client: ClientBase, cursor: number, limit: number): Promise<ChangeSet> {
  const latest = await checkCursor(client, cursor);
  const rows = await all<{ seq: number; executions: string | null; samples: string | null; anomalies: string | null; insights: string | null }>(
    client,
    'SELECT seq, executions, samples, anomalies, insights FROM changes WHERE seq > ? ORDER BY seq LIMIT ?',
    [cursor, limit + 1],
  );
  const page = rows.slice(0, limit);
  const { executions, samples, anomalies, insights } = changedKeys(page);
  const present = <T>(values: Array<T | undefined>) => values.filter((v): v is T => v !== undefined);
  const loaded = async <K, T>(keys: Iterable<K>, load: (key: K) => Promise<T | undefined>) => present(await Promise.all([...keys].map(load)));
  return {
    cursor: page.length > 0 ? page[page.length - 1].seq : cursor === 0 ? latest : cursor,
    more: rows.length > limit,
    executions: await loaded(executions, (id) => getExecution(client, id)),
    samples: await loaded(samples, ([host, time]) => sample(client, host, time)),
    anomalies: await loaded(anomalies, (id) => getAnomaly(client, id)),
    insights: await loaded(insights, (id) => getInsight(client, id)),
  };
}
