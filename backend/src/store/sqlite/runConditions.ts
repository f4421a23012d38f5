import type { ExecutionFilter, RunFilter } from '../store';
import { executionStatusCodec } from '../codes';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';

export interface SqlConditions {
  where: string[];
  params: Array<number | string | null>;
}

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(',');

const HOUR = 3_600_000;

/**
 * A run's hour of start, as the index by hour and workflow holds it (schema version 10): times are
 * whole milliseconds after 2000, so integer division is the hour.
 */
export const HOUR_OF_START = 'started_at / 3600000';

/** The hour (as `HOUR_OF_START` counts) of the first whole millisecond at or after `from`. */
export const firstHourFrom = (from: number) => Math.floor(Math.ceil(from) / HOUR);
/** The hour (as `HOUR_OF_START` counts) of the last whole millisecond before `to`. */
export const lastHourBefore = (to: number) => Math.floor((Math.ceil(to) - 1) / HOUR);

/**
 * The hours from the first to the last parameter (null: of the first or last stored run): a
 * workflow's runs are read hour by hour from the index by hour and workflow, a seek an hour.
 */
const IN_HOURS = `e.${HOUR_OF_START} IN (
  WITH RECURSIVE hours(h) AS (
    SELECT coalesce(?, (SELECT min(started_at) FROM executions) / ${HOUR})
    UNION ALL SELECT h + 1 FROM hours WHERE h < coalesce(?, (SELECT max(started_at) FROM executions) / ${HOUR}))
  SELECT h FROM hours)`;

/**
 * WHERE conditions on `executions e` for a filter; every value is a bound parameter.
 * @returns null when a list names only unknown values: nothing can match.
 */
export function runConditions(dictionaries: Dictionaries, filter: ExecutionFilter & Pick<RunFilter, 'by'>): SqlConditions | null {
  const where: string[] = [];
  const params: Array<number | string | null> = [];
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
  if (filter.workflows) {
    const first = filter.by !== 'end' && filter.from !== undefined ? firstHourFrom(filter.from) : null;
    const last = filter.to !== undefined ? lastHourBefore(filter.to) : null;
    where.push(IN_HOURS);
    params.push(first, last);
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
