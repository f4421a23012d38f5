import type Database from 'better-sqlite3';
import type { Execution, Step } from '../../domain/types';
import { ERROR_TYPES } from '../../domain/types';
import type { NameKind, RunFilter } from '../store';
import { errorTypeCodec, stepStatusCodec } from '../codes';
import type { Dictionaries } from './dictionaries';
import { EXECUTION_COLUMNS, type ExecutionRow, toExecution } from '../rows';
import { runConditions, whereClause } from './runConditions';

/** Whole-range reads for the analysis: runs, their steps, resource use and names. */
export class AnalysisReader {
  constructor(
    private readonly db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {}

  runs(filter: RunFilter): Execution[] {
    const conditions = runConditions(this.dictionaries, filter);
    if (!conditions) return [];
    const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
    if (filter.last !== undefined) {
      const rows = this.db
        .prepare<unknown[], ExecutionRow>(`SELECT ${EXECUTION_COLUMNS} ${whereClause(conditions)} ORDER BY ${column} DESC, e.id DESC LIMIT ?`)
        .all(...conditions.params, filter.last);
      return rows.reverse().map(toExecution);
    }
    return this.db
      .prepare<unknown[], ExecutionRow>(`SELECT ${EXECUTION_COLUMNS} ${whereClause(conditions)} ORDER BY ${column}, e.id`)
      .all(...conditions.params)
      .map(toExecution);
  }

  stepsOfRuns(filter: RunFilter): Step[] {
    const conditions = runConditions(this.dictionaries, filter);
    if (!conditions) return [];
    const rows = this.db
      .prepare<unknown[], { ext_id: string; idx: number; name: string; started_at: number; duration_ms: number; status: number; error: string | null }>(
        `SELECT e.ext_id, s.idx, n.name, s.started_at, s.duration_ms, s.status, m.name AS error
         FROM executions e JOIN steps s ON s.execution_id = e.id JOIN step_names n ON n.id = s.name_id
         LEFT JOIN error_messages m ON m.id = s.error_id
         ${whereClause(conditions)} ORDER BY e.started_at, e.id, s.idx`,
      )
      .all(...conditions.params);
    return rows.map((r) => {
      const step: Step = { executionId: r.ext_id, index: r.idx, name: r.name, startedAt: r.started_at, durationMs: r.duration_ms, status: stepStatusCodec.decode(r.status) };
      if (r.error !== null) step.error = r.error;
      return step;
    });
  }

  runsWithHostCpu(filter: RunFilter): Array<{ durationMs: number; cpuPercent: number }> {
    const conditions = runConditions(this.dictionaries, { ...filter, statuses: ['completed'] });
    if (!conditions) return [];
    return this.db
      .prepare<unknown[], { durationMs: number; cpuPercent: number }>(
        `SELECT e.duration_ms AS durationMs, avg(r.cpu_percent) AS cpuPercent
         FROM executions e JOIN resource_samples r
           ON r.host_id = e.host_id AND r.ts >= e.started_at AND r.ts <= e.started_at + e.duration_ms
         ${whereClause(conditions)} AND e.duration_ms IS NOT NULL
         GROUP BY e.id`,
      )
      .all(...conditions.params);
  }

  robotBusyTime(from: number, to: number): Array<{ robot: string; busyMs: number }> {
    return this.db
      .prepare<[number, number, number, number], { robot: string; busyMs: number }>(
        `SELECT r.name AS robot,
           coalesce(sum(max(0, min(coalesce(e.ended_at, e.started_at + coalesce(e.duration_ms, 0)), ?) - max(e.started_at, ?))), 0) AS busyMs
         FROM robots r LEFT JOIN executions e ON e.robot_id = r.id AND e.started_at >= ? - 86400000 AND e.started_at < ?
         GROUP BY r.id ORDER BY r.name`,
      )
      .all(to, from, from, to);
  }

  versionChanges(filter: { workflows?: string[]; from?: number; to?: number }): Array<{ workflow: string; version: string; at: number }> {
    const conditions = runConditions(this.dictionaries, { workflows: filter.workflows });
    if (!conditions) return [];
    const rows = this.db
      .prepare<unknown[], { workflow: string; version: string; at: number }>(
        `SELECT w.name AS workflow, v.name AS version, min(e.started_at) AS at
         FROM executions e JOIN workflows w ON w.id = e.workflow_id JOIN versions v ON v.id = e.version_id
         ${whereClause(conditions)} GROUP BY e.workflow_id, e.version_id ORDER BY at`,
      )
      .all(...conditions.params);
    return rows.filter((r) => (filter.from === undefined || r.at >= filter.from) && (filter.to === undefined || r.at < filter.to));
  }

  names(kind: NameKind, workflows?: string[]): string[] {
    if (kind === 'errorTypes') {
      const codes = this.db.prepare<[], { t: number }>('SELECT DISTINCT error_type AS t FROM executions WHERE error_type IS NOT NULL').all();
      return codes.map((c) => errorTypeCodec.decode(c.t)).sort((a, b) => ERROR_TYPES.indexOf(a) - ERROR_TYPES.indexOf(b));
    }
    if (kind === 'steps' && workflows) {
      const ids = workflows.map((w) => this.dictionaries.workflows.find(w)).filter((id): id is number => id !== undefined);
      if (ids.length === 0) return [];
      // Step names by the workflows that ran them: a recent sample of each workflow's runs suffices.
      return this.db
        .prepare<number[], { name: string }>(
          `SELECT DISTINCT n.name FROM step_names n WHERE n.id IN (
             SELECT s.name_id FROM steps s WHERE s.execution_id IN (
               SELECT id FROM executions WHERE workflow_id IN (${ids.map(() => '?').join(',')}) ORDER BY started_at DESC LIMIT 500))
           ORDER BY n.name`,
        )
        .all(...ids)
        .map((r) => r.name);
    }
    const table = { workflows: 'workflows', steps: 'step_names', hosts: 'hosts', robots: 'robots', versions: 'versions' }[kind];
    return this.db.prepare<[], { name: string }>(`SELECT name FROM ${table} ORDER BY name`).all().map((r) => r.name);
  }
}
