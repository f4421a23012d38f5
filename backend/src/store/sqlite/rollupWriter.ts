import type Database from 'better-sqlite3';
import type { Execution } from '../../domain/types';
import { executionStatusCodec } from './codes';
import type { Dictionaries } from './dictionaries';
import { decodeEntryObjects, encodeEntries, foldDuration, mergeEntry, type RollupEntry } from './rollupEntries';

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
 * Keeps the rollups up to date, once per batch, for the runs the batch brought to a final status
 * for the first time (so a retried batch adds nothing): the batch's part of each touched row is
 * folded in memory, then each row is read, merged and written back once, inside the batch's
 * transaction. A row holds a whole bucket's workflows (or a workflow's steps), so a batch
 * rewrites a few rows, not one per workflow and step.
 */
export class RollupWriter {
  private readonly select: Database.Statement;
  private readonly upsert: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {
    this.select = db.prepare('SELECT entries FROM rollups WHERE kind = ? AND resolution = ? AND grp = ? AND bucket = ?').pluck();
    this.upsert = db.prepare(`
      INSERT INTO rollups (kind, resolution, grp, bucket, entries) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (kind, resolution, grp, bucket) DO UPDATE SET entries = excluded.entries`);
  }

  add(finished: readonly FinishedRun[]): void {
    const rows = rollupParts(finished, (name) => this.dictionaries.workflows.intern(name), (name) => this.dictionaries.stepNames.intern(name));
    for (const { key, entries } of rows) {
      const stored = this.select.get(...key) as Buffer | undefined;
      this.upsert.run(...key, mergeStored(entries, stored));
    }
  }
}

/**
 * The rollup rows a batch's newly finished runs touch, each with the batch's part of its entries
 * (any store: ids come from `workflowId` and `stepId`).
 */
export function rollupParts(finished: readonly FinishedRun[], workflowId: (name: string) => number, stepId: (name: string) => number): RowPart[] {
  const rows = new Map<string, RowPart>();
  const entryOf = (kind: number, resolution: number, group: number, bucket: number, key: number) => {
    const id = `${kind}:${resolution}:${group}:${bucket}`;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = { key: [kind, resolution, group, bucket], entries: new Map() }));
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
      foldDuration(entryOf(ROLLUP_KIND.runs, resolution, status, bucket, workflow), duration);
      if (resolution !== STEP_ROLLUP_RESOLUTION) continue;
      // Steps belong to their run's bucket, as run-level panels count them.
      for (const step of steps) foldDuration(entryOf(ROLLUP_KIND.steps, resolution, workflow, bucket, stepId(step.name)), step.durationMs);
    }
  }
  return [...rows.values()];
}

/** A row's entries after adding the batch's part to what is stored (none when new), packed. */
export function mergeStored(part: Map<number, RollupEntry>, stored: Uint8Array | undefined): Buffer {
  const entries = new Map(part);
  if (stored) {
    decodeEntryObjects(stored, { digests: true }, (entry) => {
      const added = part.get(entry.key);
      if (added) mergeEntry(entry, added);
      entries.set(entry.key, entry);
    });
  }
  return encodeEntries([...entries.values()]);
}
