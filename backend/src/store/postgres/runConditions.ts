// Runs by workflow, host, robot, status and time, as SQL: `store/conditions.ts` in PostgreSQL's words.
import type { ExecutionFilter, RunFilter } from '../store';
import { type ConditionDialect, runConditions as sharedConditions } from '../conditions';
import { Sql } from './query';

/** Names matched through the dictionary tables in the query (any number, none known: no row); statuses as a smallint array. */
export const POSTGRES: ConditionDialect = {
  named: (kind, column, names) => ({ where: [`${column} IN (SELECT id FROM ${kind} WHERE name = ANY(?))`], params: [names] }),
  statuses: (codes) => ({ where: ['e.status = ANY(?::int2[])'], params: [codes] }),
  inList: (column, values) => ({ where: [`${column} = ANY(?)`], params: [values] }),
};

export function runConditions(filter: ExecutionFilter & Pick<RunFilter, 'by'>): Sql {
  // Never null here: unknown names are left to the query, which then matches no row.
  return Sql.from(sharedConditions(POSTGRES, filter)!);
}
