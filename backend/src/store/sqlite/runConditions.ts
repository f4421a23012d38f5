import type { ExecutionFilter, RunFilter } from '../store';
import { type ConditionDialect, runConditions as sharedConditions, type SqlConditions } from '../conditions';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';

export { type SqlConditions, whereClause } from '../conditions';

const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(',');

/** SQLite's words for lists of plain values (`column IN (?, ...)`), for filters with no dictionary. */
export const SQLITE_LISTS: Pick<ConditionDialect, 'inList'> = {
  inList: (column, values) => ({ where: [`${column} IN (${placeholders(values)})`], params: [...values] }),
};

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
 * The SQLite store's words for a run filter: names looked up in the dictionaries (an id list; no
 * known name, nothing matches), and a workflow's runs read hour by hour from its index.
 */
export function sqliteConditions(dictionaries: Dictionaries): ConditionDialect {
  const dictionary: Record<'workflows' | 'hosts' | 'robots', Dictionary> = {
    workflows: dictionaries.workflows,
    hosts: dictionaries.hosts,
    robots: dictionaries.robots,
  };
  return {
    named(kind, column, names) {
      const ids = names.map((n) => dictionary[kind].find(n)).filter((id): id is number => id !== undefined);
      return ids.length ? { where: [`${column} IN (${placeholders(ids)})`], params: ids } : null;
    },
    statuses: (codes) => ({ where: [`e.status IN (${placeholders(codes)})`], params: [...codes] }),
    ...SQLITE_LISTS,
    workflowRange: (filter) => ({
      where: [IN_HOURS],
      params: [
        filter.by !== 'end' && filter.from !== undefined ? firstHourFrom(filter.from) : null,
        filter.to !== undefined ? lastHourBefore(filter.to) : null,
      ],
    }),
  };
}

/**
 * WHERE conditions on `executions e` for a filter (`store/conditions.ts`, in SQLite's words).
 * @returns null when a list names only unknown values: nothing can match.
 */
export function runConditions(dictionaries: Dictionaries, filter: ExecutionFilter & Pick<RunFilter, 'by'>): SqlConditions | null {
  return sharedConditions(sqliteConditions(dictionaries), filter);
}
