import type Database from 'better-sqlite3';
import type { Dictionaries } from './dictionaries';
import { type FinishedRun, mergeStored, rollupParts } from '../rollups';
import { retractEncoded } from '../rollupEntries';

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

  /** Takes runs counted before back out (they were corrected since; their new state is added). */
  retract(counted: readonly FinishedRun[], options: { runs?: boolean } = {}): void {
    const rows = rollupParts(
      counted,
      (name) => this.dictionaries.workflows.intern(name),
      (name) => this.dictionaries.stepNames.intern(name),
      options,
    );
    for (const { key, entries } of rows) {
      const stored = this.select.get(...key) as Buffer | undefined;
      if (stored) this.upsert.run(...key, retractEncoded(entries, stored));
    }
  }

  add(finished: readonly FinishedRun[], options: { runs?: boolean } = {}): void {
    const rows = rollupParts(
      finished,
      (name) => this.dictionaries.workflows.intern(name),
      (name) => this.dictionaries.stepNames.intern(name),
      options,
    );
    for (const { key, entries } of rows) {
      const stored = this.select.get(...key) as Buffer | undefined;
      this.upsert.run(...key, mergeStored(entries, stored));
    }
  }
}
