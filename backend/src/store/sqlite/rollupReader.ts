import type Database from 'better-sqlite3';
import { EXECUTION_STATUSES } from '../../domain/types';
import { QuantileDigest } from '../../analysis/quantileDigest';
import type { RollupFilter, RunRollup, RunRollupView, StepRollup, StepRollupView } from '../store';
import { executionStatusCodec } from './codes';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';
import { decodeEntries } from './rollupEntries';
import { ROLLUP_KIND } from './rollupWriter';

const ALL_STATUSES = EXECUTION_STATUSES.map((s) => executionStatusCodec.encode(s));

/** Where packed rollup rows come from: a store's table and its dictionaries. */
export interface RollupSource {
  /** Rows of one kind and resolution with a bucket in [from, to) and a group among `groups` (all workflows when 'workflows'). */
  rows(kind: number, resolution: number, groups: readonly number[] | 'workflows', from: number, to: number): Array<[group: number, bucket: number, entries: Uint8Array]>;
  workflows: Pick<Dictionary, 'find' | 'nameOf'>;
  stepNames: Pick<Dictionary, 'find' | 'nameOf'>;
}

/** SQLite's rollups table as a rollup source. */
export function sqliteRollupSource(db: Database.Database, dictionaries: Dictionaries): RollupSource {
  return {
    rows(kind, resolution, groups, from, to) {
      // Ids are integers of ours: written into the SQL, the row key leads with them, so each is a seek.
      const list = groups === 'workflows' ? '(SELECT id FROM workflows)' : `(${groups.join(',')})`;
      return db
        .prepare(`SELECT grp, bucket, entries FROM rollups WHERE kind = ? AND resolution = ? AND grp IN ${list} AND bucket >= ? AND bucket < ?`)
        .raw()
        .all(kind, resolution, from, to) as Array<[number, number, Buffer]>;
    },
    workflows: dictionaries.workflows,
    stepNames: dictionaries.stepNames,
  };
}

/**
 * Reads packed rollup rows: a month of hourly runs of every workflow is one row per hour and
 * status, so a panel reads hundreds of rows where one per workflow would be a hundred thousand.
 * Names in filters become dictionary ids; unknown names match nothing.
 */
export class RollupReader {
  constructor(private readonly source: RollupSource) {}

  visitRuns(filter: RollupFilter, visit: (rollup: RunRollupView) => void): void {
    const workflowIds = this.ids(this.source.workflows, filter.workflows);
    if (workflowIds?.size === 0) return;
    const statuses = filter.statuses ? filter.statuses.map((s) => executionStatusCodec.encode(s)) : ALL_STATUSES;
    const rows = this.source.rows(ROLLUP_KIND.runs, filter.resolution, statuses, filter.from, filter.to);
    const workflows = this.source.workflows;
    const options = { digests: filter.digests !== false, keys: workflowIds };
    const view: RunRollupView = { bucket: 0, workflow: '', status: 'completed', runs: 0, timed: 0, sumMs: 0, minMs: null, maxMs: null, values: null, sketch: null };
    for (const [statusCode, bucket, blob] of rows) {
      view.bucket = bucket;
      view.status = executionStatusCodec.decode(statusCode);
      decodeEntries(blob, options, (key, runs, timed, sumMs, minMs, maxMs, values, sketch) => {
        view.workflow = workflows.nameOf(key);
        view.runs = runs;
        view.timed = timed;
        view.sumMs = sumMs;
        view.minMs = minMs;
        view.maxMs = maxMs;
        view.values = values;
        view.sketch = sketch;
        visit(view);
      });
    }
  }

  visitSteps(filter: RollupFilter, visit: (rollup: StepRollupView) => void): void {
    const workflowIds = this.ids(this.source.workflows, filter.workflows);
    const stepIds = this.ids(this.source.stepNames, filter.steps);
    if (workflowIds?.size === 0 || stepIds?.size === 0) return;
    const rows = this.source.rows(ROLLUP_KIND.steps, filter.resolution, workflowIds ? [...workflowIds] : 'workflows', filter.from, filter.to);
    const { workflows, stepNames } = this.source;
    const options = { digests: filter.digests !== false, keys: stepIds };
    const view: StepRollupView = { bucket: 0, workflow: '', step: '', steps: 0, sumMs: 0, minMs: 0, maxMs: 0, values: null, sketch: null };
    for (const [workflowId, bucket, blob] of rows) {
      view.bucket = bucket;
      view.workflow = workflows.nameOf(workflowId);
      decodeEntries(blob, options, (key, steps, _timed, sumMs, minMs, maxMs, values, sketch) => {
        view.step = stepNames.nameOf(key);
        view.steps = steps;
        view.sumMs = sumMs;
        view.minMs = minMs!;
        view.maxMs = maxMs!;
        view.values = values;
        view.sketch = sketch;
        visit(view);
      });
    }
  }

  /** The rollups as objects of their own, each with its digest (for tests and small reads). */
  runs(filter: RollupFilter): RunRollup[] {
    const out: RunRollup[] = [];
    this.visitRuns(filter, ({ values, sketch, ...rest }) => out.push({ ...rest, digest: digestOf(values, rest.timed, sketch) }));
    return out;
  }

  steps(filter: RollupFilter): StepRollup[] {
    const out: StepRollup[] = [];
    this.visitSteps(filter, ({ values, sketch, ...rest }) => out.push({ ...rest, digest: digestOf(values, rest.steps, sketch) }));
    return out;
  }

  /** The ids of `names` that exist; undefined (no restriction) without names. */
  private ids(dictionary: Pick<Dictionary, 'find'>, names: string[] | undefined): Set<number> | undefined {
    if (!names) return undefined;
    return new Set(names.map((n) => dictionary.find(n)).filter((id): id is number => id !== undefined));
  }
}

function digestOf(values: Float64Array | null, length: number, sketch: QuantileDigest | null): QuantileDigest | null {
  return values ? QuantileDigest.of(Array.from(values.subarray(0, length))) : sketch;
}
