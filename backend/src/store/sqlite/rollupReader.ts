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
    const where = ['r.resolution = ?', 'r.bucket >= ?', 'r.bucket < ?'];
    const params: Array<number | string> = [filter.resolution, filter.from, filter.to];
    if (!this.restrict('r.workflow_id', this.dictionaries.workflows, filter.workflows, where, params)) return [];
    if (filter.statuses) {
      where.push(`r.status IN (${filter.statuses.map(() => '?').join(',')})`);
      params.push(...filter.statuses.map((s) => executionStatusCodec.encode(s)));
    }
    const rows = this.db
      .prepare<unknown[], { bucket: number; workflow: string; status: number; runs: number; timed: number; sum_ms: number; min_ms: number | null; max_ms: number | null; digest: Buffer | null }>(
        `SELECT r.bucket, w.name AS workflow, r.status, r.runs, r.timed, r.sum_ms, r.min_ms, r.max_ms, r.digest
         FROM run_rollups r JOIN workflows w ON w.id = r.workflow_id
         WHERE ${where.join(' AND ')}`,
      )
      .all(...params);
    return rows.map((r) => ({
      bucket: r.bucket, workflow: r.workflow, status: executionStatusCodec.decode(r.status),
      runs: r.runs, timed: r.timed, sumMs: r.sum_ms, minMs: r.min_ms, maxMs: r.max_ms, digest: r.digest,
    }));
  }

  steps(filter: RollupFilter): StepRollup[] {
    const where = ['r.resolution = ?', 'r.bucket >= ?', 'r.bucket < ?'];
    const params: Array<number | string> = [filter.resolution, filter.from, filter.to];
    if (!this.restrict('r.workflow_id', this.dictionaries.workflows, filter.workflows, where, params)) return [];
    if (!this.restrict('r.step_id', this.dictionaries.stepNames, filter.steps, where, params)) return [];
    return this.db
      .prepare<unknown[], { bucket: number; workflow: string; step: string; steps: number; sum_ms: number; min_ms: number; max_ms: number; digest: Buffer }>(
        `SELECT r.bucket, w.name AS workflow, n.name AS step, r.steps, r.sum_ms, r.min_ms, r.max_ms, r.digest
         FROM step_rollups r JOIN workflows w ON w.id = r.workflow_id JOIN step_names n ON n.id = r.step_id
         WHERE ${where.join(' AND ')}`,
      )
      .all(...params)
      .map((r) => ({ bucket: r.bucket, workflow: r.workflow, step: r.step, steps: r.steps, sumMs: r.sum_ms, minMs: r.min_ms, maxMs: r.max_ms, digest: r.digest }));
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
