// Runs by workflow, host, robot, status and time, as SQL: the PostgreSQL side of `sqlite/runConditions.ts`.
import type { ExecutionFilter, RunFilter } from '../store';
import { executionStatusCodec } from '../codes';
import { Sql } from './query';

export function runConditions(filter: ExecutionFilter & Pick<RunFilter, 'by'>): Sql {
  const sql = new Sql();
  if (filter.workflows) sql.add('e.workflow_id IN (SELECT id FROM workflows WHERE name = ANY(?))', filter.workflows);
  if (filter.hosts) sql.add('e.host_id IN (SELECT id FROM hosts WHERE name = ANY(?))', filter.hosts);
  if (filter.robots) sql.add('e.robot_id IN (SELECT id FROM robots WHERE name = ANY(?))', filter.robots);
  if (filter.statuses)
    sql.add(
      'e.status = ANY(?::int2[])',
      filter.statuses.map((s) => executionStatusCodec.encode(s)),
    );
  const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
  if (filter.by === 'end') sql.add('e.ended_at IS NOT NULL');
  if (filter.from !== undefined) sql.add(`${column} >= ?`, filter.from);
  if (filter.to !== undefined) sql.add(`${column} < ?`, filter.to);
  // A run ends after it starts: said outright, the index by start narrows runs that ended before a time.
  if (filter.to !== undefined && filter.by === 'end') sql.add('e.started_at < ?', filter.to);
  return sql;
}
