import type Database from 'better-sqlite3';
import { EXECUTION_STATUSES } from '../../domain/types';
import type { RollupFilter, RunRollup, StepRollup } from '../store';
import { executionStatusCodec } from './codes';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';
import { decodeEntries } from './rollupEntries';
import { ROLLUP_KIND } from './rollupWriter';

const ALL_STATUSES = EXECUTION_STATUSES.map((s) => executionStatusCodec.encode(s));

/**
 * Reads packed rollup rows: a month of hourly runs of every workflow is one row per hour and
 * status, so a panel reads hundreds of rows where one per workflow would be a hundred thousand.
 * Names in filters become dictionary ids; unknown names match nothing.
 */
export class RollupReader {
  constructor(
    private readonly db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {}

  runs(filter: RollupFilter): RunRollup[] {
    const workflowIds = this.ids(this.dictionaries.workflows, filter.workflows);
    if (workflowIds?.size === 0) return [];
    const statuses = filter.statuses ? filter.statuses.map((s) => executionStatusCodec.encode(s)) : ALL_STATUSES;
    const rows = this.db
      .prepare(`SELECT grp, bucket, entries FROM rollups WHERE kind = ? AND resolution = ? AND grp IN (${statuses.map(() => '?').join(',')}) AND bucket >= ? AND bucket < ?`)
      .raw()
      .all(ROLLUP_KIND.runs, filter.resolution, ...statuses, filter.from, filter.to) as Array<[number, number, Buffer]>;
    const out: RunRollup[] = [];
    const workflows = this.dictionaries.workflows;
    const options = { digests: filter.digests !== false, keys: workflowIds };
    for (const [statusCode, bucket, blob] of rows) {
      const status = executionStatusCodec.decode(statusCode);
      decodeEntries(blob, options, (e) => {
        out.push({ bucket, workflow: workflows.nameOf(e.key), status, runs: e.count, timed: e.timed, sumMs: e.sum, minMs: e.min, maxMs: e.max, digest: e.digest ?? null });
      });
    }
    return out;
  }

  steps(filter: RollupFilter): StepRollup[] {
    const workflowIds = this.ids(this.dictionaries.workflows, filter.workflows);
    const stepIds = this.ids(this.dictionaries.stepNames, filter.steps);
    if (workflowIds?.size === 0 || stepIds?.size === 0) return [];
    // The row key leads with the workflow: list them (all of them without a filter) so each is a seek.
    const groups = workflowIds ? `(${[...workflowIds].join(',')})` : '(SELECT id FROM workflows)';
    const rows = this.db
      .prepare(`SELECT grp, bucket, entries FROM rollups WHERE kind = ? AND resolution = ? AND grp IN ${groups} AND bucket >= ? AND bucket < ?`)
      .raw()
      .all(ROLLUP_KIND.steps, filter.resolution, filter.from, filter.to) as Array<[number, number, Buffer]>;
    const out: StepRollup[] = [];
    const { workflows, stepNames } = this.dictionaries;
    const options = { digests: filter.digests !== false, keys: stepIds };
    for (const [workflowId, bucket, blob] of rows) {
      const workflow = workflows.nameOf(workflowId);
      decodeEntries(blob, options, (e) => {
        out.push({ bucket, workflow, step: stepNames.nameOf(e.key), steps: e.count, sumMs: e.sum, minMs: e.min!, maxMs: e.max!, digest: e.digest ?? null });
      });
    }
    return out;
  }

  /** The ids of `names` that exist; undefined (no restriction) without names. */
  private ids(dictionary: Dictionary, names: string[] | undefined): Set<number> | undefined {
    if (!names) return undefined;
    return new Set(names.map((n) => dictionary.find(n)).filter((id): id is number => id !== undefined));
  }
}
