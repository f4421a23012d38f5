import { executionStatusCodec } from './codes';
import type { AnomalyFilter, ExecutionFilter, IncidentFilter, InsightFilter, RunFilter, SampleFilter } from './store';

/** WHERE conditions on `executions e` and their values, in order: every value a bound parameter. */
export interface SqlConditions {
  where: string[];
  params: unknown[];
}

/** What the two stores write differently when they filter runs; the rest is `runConditions`'. */
export interface ConditionDialect {
  /**
   * `column IN (...)` for runs of the named workflows, hosts or robots (`column` is `e.workflow_id`,
   * `e.host_id` or `e.robot_id`); null when none of the names is known: nothing can match.
   */
  named(kind: 'workflows' | 'hosts' | 'robots', column: string, names: readonly string[]): SqlConditions | null;
  /** `e.status` among these codes. */
  statuses(codes: readonly number[]): SqlConditions;
  /** `column` among these values (a column that holds them as they are, no dictionary). */
  inList(column: string, values: readonly unknown[]): SqlConditions;
  /** Conditions a workflow filter adds for the store's index (SQLite: the hours of the range); none by default. */
  workflowRange?(filter: ExecutionFilter & Pick<RunFilter, 'by'>): SqlConditions;
}

/**
 * The conditions of a run filter, the same on both stores: names, statuses, and the time range
 * by start or (`by: 'end'`) by end, in the dialect's words where the stores differ.
 * @returns null when a list names only unknown values: nothing can match.
 */
export function runConditions(dialect: ConditionDialect, filter: ExecutionFilter & Pick<RunFilter, 'by'>): SqlConditions | null {
  const out: SqlConditions = { where: [], params: [] };
  const add = (more: SqlConditions) => {
    out.where.push(...more.where);
    out.params.push(...more.params);
  };
  const lists = [
    ['workflows', 'e.workflow_id', filter.workflows],
    ['hosts', 'e.host_id', filter.hosts],
    ['robots', 'e.robot_id', filter.robots],
  ] as const;
  for (const [kind, column, names] of lists) {
    if (!names) continue;
    const named = dialect.named(kind, column, names);
    if (!named) return null;
    add(named);
  }
  if (filter.workflows && dialect.workflowRange) add(dialect.workflowRange(filter));
  if (filter.statuses) add(dialect.statuses(filter.statuses.map((s) => executionStatusCodec.encode(s))));
  const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
  if (filter.by === 'end') add({ where: ['e.ended_at IS NOT NULL'], params: [] });
  if (filter.from !== undefined) add({ where: [`${column} >= ?`], params: [filter.from] });
  if (filter.to !== undefined) {
    add({ where: [`${column} < ?`], params: [filter.to] });
    // A run ends after it starts: said outright, a workflow's runs that ended before a time are a
    // range of its index by start, not all of its runs.
    if (filter.by === 'end') add({ where: ['e.started_at < ?'], params: [filter.to] });
  }
  return out;
}

export function whereClause(conditions: SqlConditions): string {
  return conditions.where.length ? `WHERE ${conditions.where.join(' AND ')}` : '';
}

/**
 * Runs after a page's last one, newest first: started earlier, or at the same time with a lower
 * id (the cursor carries both).
 */
export function afterCursor(cursor: { startedAt: number; id: number }): SqlConditions {
  return { where: ['(e.started_at < ? OR (e.started_at = ? AND e.id < ?))'], params: [cursor.startedAt, cursor.startedAt, cursor.id] };
}

/** Conditions joined, in order. */
function all(...parts: SqlConditions[]): SqlConditions {
  return { where: parts.flatMap((p) => p.where), params: parts.flatMap((p) => p.params) };
}

/** The lists of a filter, each as the dialect writes it, in the order given. */
function lists(dialect: Pick<ConditionDialect, 'inList'>, columns: ReadonlyArray<readonly [string, readonly unknown[] | undefined]>): SqlConditions {
  return all(...columns.filter(([, values]) => values !== undefined).map(([column, values]) => dialect.inList(column, values!)));
}

/** Anomalies active in the filter's range, on its workflows, hosts, metrics and series. */
export function anomalyConditions(dialect: Pick<ConditionDialect, 'inList'>, filter: AnomalyFilter): SqlConditions {
  return all(
    activeBetween(filter),
    lists(dialect, [
      ['workflow', filter.workflows],
      ['host', filter.hosts],
      ['metric', filter.metrics],
      ['series_key', filter.seriesKeys],
    ]),
  );
}

/** Insights by status, workflow and category. */
export function insightConditions(dialect: Pick<ConditionDialect, 'inList'>, filter: InsightFilter): SqlConditions {
  return all(
    filter.status ? { where: ['status = ?'], params: [filter.status] } : { where: [], params: [] },
    lists(dialect, [
      ['workflow', filter.workflows],
      ['category', filter.categories],
    ]),
  );
}

/**
 * Conditions on `resource_samples s`: its hosts (as the dialect names them), the range of times.
 * @returns null when no host it names is known: nothing can match.
 */
export function sampleConditions(dialect: Pick<ConditionDialect, 'named'>, filter: Omit<SampleFilter, 'limit'>): SqlConditions | null {
  const hosts = filter.hosts ? dialect.named('hosts', 's.host_id', filter.hosts) : { where: [], params: [] };
  if (!hosts) return null;
  return all(
    hosts,
    filter.from !== undefined ? { where: ['s.ts >= ?'], params: [filter.from] } : { where: [], params: [] },
    filter.to !== undefined ? { where: ['s.ts < ?'], params: [filter.to] } : { where: [], params: [] },
  );
}

/**
 * Conditions on anomalies or incidents active at some time in [from, to): started before `to`,
 * and still open or last seen at or after `from`; by status and least severity. The same words
 * on both stores.
 */
export function activeBetween(filter: IncidentFilter): SqlConditions {
  const out: SqlConditions = { where: [], params: [] };
  const add = (condition: string, value: unknown) => {
    out.where.push(condition);
    out.params.push(value);
  };
  if (filter.status) add('status = ?', filter.status);
  if (filter.to !== undefined) add('started_at < ?', filter.to);
  if (filter.from !== undefined) add("(status = 'open' OR last_seen_at >= ?)", filter.from);
  if (filter.minSeverity !== undefined) add('severity >= ?', filter.minSeverity);
  return out;
}
