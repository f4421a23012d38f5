import type Database from 'better-sqlite3';
import type { RollupFilter, RunRollup, StepRollup } from '../store';
import { executionStatusCodec } from './codes';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';

/** Reads rollup rows; names in filters become dictionary ids, unknown names match nothing. */
export class RollupReader {
  constructor(
    private readonly db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {}

  runs(filter: RollupFilter): RunRollup[] {
    const where = ['resolution = ?', 'bucket >= ?', 'bucket < ?'];
    const params: Array<number | string> = [filter.resolution, filter.from, filter.to];
    if (!this.restrict('workflow_id', this.dictionaries.workflows, filter.workflows, where, params)) return [];
    if (filter.statuses) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(',')})`);
      params.push(...filter.statuses.map((s) => executionStatusCodec.encode(s)));
    }
    const digest = filter.digests === false ? 'NULL' : 'digest';
    // Rows as arrays, names from the dictionary's cache: a month of hourly rollups is tens of
    // thousands of rows, and objects and joins per row were most of a panel's time.
    const rows = this.db
      .prepare(`SELECT bucket, workflow_id, status, runs, timed, sum_ms, min_ms, max_ms, ${digest} FROM run_rollups WHERE ${where.join(' AND ')}`)
      .raw()
      .all(...params) as Array<[number, number, number, number, number, number, number | null, number | null, Buffer | null]>;
    const workflows = this.dictionaries.workflows;
    return rows.map(([bucket, workflowId, status, runs, timed, sumMs, minMs, maxMs, digestBytes]) => ({
      bucket, workflow: workflows.nameOf(workflowId), status: executionStatusCodec.decode(status), runs, timed, sumMs, minMs, maxMs, digest: digestBytes,
    }));
  }

  steps(filter: RollupFilter): StepRollup[] {
    const where = ['resolution = ?', 'bucket >= ?', 'bucket < ?'];
    const params: Array<number | string> = [filter.resolution, filter.from, filter.to];
    if (!this.restrict('workflow_id', this.dictionaries.workflows, filter.workflows, where, params)) return [];
    if (!this.restrict('step_id', this.dictionaries.stepNames, filter.steps, where, params)) return [];
    const digest = filter.digests === false ? 'NULL' : 'digest';
    const rows = this.db
      .prepare(`SELECT bucket, workflow_id, step_id, steps, sum_ms, min_ms, max_ms, ${digest} FROM step_rollups WHERE ${where.join(' AND ')}`)
      .raw()
      .all(...params) as Array<[number, number, number, number, number, number, number, Buffer | null]>;
    const { workflows, stepNames } = this.dictionaries;
    return rows.map(([bucket, workflowId, stepId, steps, sumMs, minMs, maxMs, digestBytes]) => ({
      bucket, workflow: workflows.nameOf(workflowId), step: stepNames.nameOf(stepId), steps, sumMs, minMs, maxMs, digest: digestBytes,
    }));
  }

  private restrict(column: string, dictionary: Dictionary, names: string[] | undefined, where: string[], params: Array<number | string>): boolean {
    if (!names) return true;
    const ids = this.ids(dictionary, names);
    if (ids.length === 0) return false;
    where.push(`${column} IN (${ids.map(() => '?').join(',')})`);
    params.push(...ids);
    return true;
  }

  private ids(dictionary: Dictionary, names: string[]): number[] {
    return names.map((n) => dictionary.find(n)).filter((id): id is number => id !== undefined);
  }
}
