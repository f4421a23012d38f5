import { QuantileDigest } from '../analysis/quantileDigest';
import { EXECUTION_STATUSES, type Execution } from '@rpa-analytics/contract';
import { executionStatusCodec } from './codes';
import { decodeEntries, encodeEntries, foldDuration, mergeEncoded, type RollupEntry } from './rollupEntries';
import type { RollupFilter, RunRollup, RunRollupView, StepRollup, StepRollupView } from './store';

/*
 * Packed rollups, whichever database holds them: what a row holds, a batch's part of the rows it
 * touches and its merge with a stored row, and reading rows back for panels. Each store keeps the
 * rows in its own table (see its rollup source).
 */

export const ROLLUP_RESOLUTIONS = [60_000, 3_600_000] as const;
/** Steps are rolled up by the hour only: minute rollups of steps would copy the step rows. */
export const STEP_ROLLUP_RESOLUTION = 3_600_000;

/**
 * What a packed rollup row holds. Runs: one row per resolution, bucket and status, an entry per
 * workflow. Steps: one row per bucket and workflow, an entry per step.
 */
export const ROLLUP_KIND = { runs: 0, steps: 1 } as const;

export interface FinishedRun {
  execution: Execution;
  steps: Array<{ name: string; startedAt: number; durationMs: number }>;
}

export interface RowPart {
  key: [kind: number, resolution: number, group: number, bucket: number];
  entries: Map<number, RollupEntry>;
}

const emptyEntry = (key: number): RollupEntry => ({ key, count: 0, timed: 0, sum: 0, min: null, max: null });

/**
 * The rollup rows a batch's newly finished runs touch, each with the batch's part of its entries
 * (any store: ids come from `workflowId` and `stepId`).
 */
export function rollupParts(
  finished: readonly FinishedRun[],
  workflowId: (name: string) => number,
  stepId: (name: string) => number,
  options: { runs?: boolean } = {},
): RowPart[] {
  const withRuns = options.runs !== false;
  const rows: RowPart[] = [];
  // Rows by kind and resolution, group, then bucket: numbers all the way, as every step of every
  // run looks its row up.
  const byKind = new Map<number, Map<number, Map<number, RowPart>>>();
  const entryOf = (kind: number, resolution: number, group: number, bucket: number, key: number) => {
    const kindAndResolution = kind * 1e9 + resolution;
    let groups = byKind.get(kindAndResolution);
    if (!groups) byKind.set(kindAndResolution, (groups = new Map()));
    let buckets = groups.get(group);
    if (!buckets) groups.set(group, (buckets = new Map()));
    let row = buckets.get(bucket);
    if (!row) {
      buckets.set(bucket, (row = { key: [kind, resolution, group, bucket], entries: new Map() }));
      rows.push(row);
    }
    let entry = row.entries.get(key);
    if (!entry) row.entries.set(key, (entry = emptyEntry(key)));
    return entry;
  };
  for (const { execution, steps } of finished) {
    const workflow = workflowId(execution.workflow);
    const status = executionStatusCodec.encode(execution.status);
    // Only completed runs have a duration that run-time statistics describe.
    const duration = execution.status === 'completed' ? execution.durationMs : undefined;
    for (const resolution of ROLLUP_RESOLUTIONS) {
      const bucket = Math.floor(execution.startedAt / resolution) * resolution;
      if (withRuns) foldDuration(entryOf(ROLLUP_KIND.runs, resolution, status, bucket, workflow), duration);
      if (resolution !== STEP_ROLLUP_RESOLUTION) continue;
      // Steps belong to their run's bucket, as run-level panels count them.
      for (const step of steps) foldDuration(entryOf(ROLLUP_KIND.steps, resolution, workflow, bucket, stepId(step.name)), step.durationMs);
    }
  }
  return rows;
}

/** A row's entries after adding the batch's part to what is stored (none when new), packed. */
export function mergeStored(part: Map<number, RollupEntry>, stored: Uint8Array | undefined): Buffer {
  return stored ? mergeEncoded(part, stored) : encodeEntries([...part.values()]);
}

/**
 * What the rollups must take out and put in for a run counted before as `before` and stored now as
 * `after`: nothing for a run sent again unchanged (a retried batch); only the steps that differ
 * when the run itself counts alike (steps corrected, or reported after their run finished); else
 * the whole run, out under its old state and in under its new one. `runs: false` says the runs'
 * own entries stay as they are and only their steps' move.
 */
export function rollupCorrection(before: FinishedRun, after: FinishedRun): { out: FinishedRun[]; in: FinishedRun[]; runs: boolean } {
  const x = before.execution;
  const y = after.execution;
  const sameRun =
    x.workflow === y.workflow &&
    x.status === y.status &&
    x.durationMs === y.durationMs &&
    Math.floor(x.startedAt / ROLLUP_RESOLUTIONS[0]) === Math.floor(y.startedAt / ROLLUP_RESOLUTIONS[0]);
  if (!sameRun) return { out: [before], in: [after], runs: true };
  // Steps as a multiset of name and duration: those only before come out, those only after go in.
  const key = (step: FinishedRun['steps'][number]) => `${step.name}\u0000${step.durationMs}`;
  const left = new Map<string, number>();
  for (const step of before.steps) left.set(key(step), (left.get(key(step)) ?? 0) + 1);
  const added = after.steps.filter((step) => {
    const n = left.get(key(step)) ?? 0;
    if (n > 0) left.set(key(step), n - 1);
    return n === 0;
  });
  const removed = before.steps.filter((step) => {
    const n = left.get(key(step)) ?? 0;
    if (n > 0) left.set(key(step), n - 1);
    return n > 0;
  });
  return {
    out: removed.length ? [{ execution: x, steps: removed }] : [],
    in: added.length ? [{ execution: y, steps: added }] : [],
    runs: false,
  };
}

const ALL_STATUSES = EXECUTION_STATUSES.map((s) => executionStatusCodec.encode(s));

/** Names and their ids in one of a store's dictionaries. */
export interface NameDictionary {
  find(name: string): number | undefined;
  nameOf(id: number): string;
}

/** Where packed rollup rows come from: a store's table and its dictionaries. */
export interface RollupSource {
  /** Rows of one kind and resolution with a bucket in [from, to) and a group among `groups` (all workflows when 'workflows'). */
  rows(
    kind: number,
    resolution: number,
    groups: readonly number[] | 'workflows',
    from: number,
    to: number,
  ): Array<[group: number, bucket: number, entries: Uint8Array]>;
  workflows: NameDictionary;
  stepNames: NameDictionary;
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
    const view: RunRollupView = {
      bucket: 0,
      workflow: '',
      status: 'completed',
      runs: 0,
      timed: 0,
      sumMs: 0,
      minMs: null,
      maxMs: null,
      values: null,
      sketch: null,
    };
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
  private ids(dictionary: Pick<NameDictionary, 'find'>, names: string[] | undefined): Set<number> | undefined {
    if (!names) return undefined;
    return new Set(names.map((n) => dictionary.find(n)).filter((id): id is number => id !== undefined));
  }
}

function digestOf(values: Float64Array | null, length: number, sketch: QuantileDigest | null): QuantileDigest | null {
  return values ? QuantileDigest.of(Array.from(values.subarray(0, length))) : sketch;
}
