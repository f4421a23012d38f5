import type { ExecutionFilter, RunFilter } from '../store';
import { executionStatusCodec } from '../codes';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';

export interface SqlConditions {
  where: string[];
  params: Array<number | string>;
}

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(',');

/**
 * WHERE conditions on `executions e` for a filter; every value is a bound parameter.
 * @returns null when a list names only unknown values: nothing can match.
 */
export function runConditions(dictionaries: Dictionaries, filter: ExecutionFilter & Pick<RunFilter, 'by'>): SqlConditions | null {
  const where: string[] = [];
  const params: Array<number | string> = [];
  const lists: Array<[string, Dictionary, string[] | undefined]> = [
    ['e.workflow_id', dictionaries.workflows, filter.workflows],
    ['e.host_id', dictionaries.hosts, filter.hosts],
    ['e.robot_id', dictionaries.robots, filter.robots],
  ];
  for (const [column, dictionary, names] of lists) {
    if (!names) continue;
    const ids = names.map((n) => dictionary.find(n)).filter((id): id is number => id !== undefined);
    if (ids.length === 0) return null;
    where.push(`${column} IN (${placeholders(ids)})`);
    params.push(...ids);
  }
  if (filter.statuses) {
    where.push(`e.status IN (${placeholders(filter.statuses)})`);
    params.push(...filter.statuses.map((s) => executionStatusCodec.encode(s)));
  }
  const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
  if (filter.by === 'end') where.push('e.ended_at IS NOT NULL');
  if (filter.from !== undefined) {
    where.push(`${column} >= ?`);
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push(`${column} < ?`);
    params.push(filter.to);
    // A run ends after it starts: said outright, a workflow's runs that ended before a time are a
    // range of its index by start, not all of its runs.
    if (filter.by === 'end') {
      where.push('e.started_at < ?');
      params.push(filter.to);
    }
  }
  return { where, params };
}

export function whereClause(conditions: SqlConditions): string {
  return conditions.where.length ? `WHERE ${conditions.where.join(' AND ')}` : '';
}
