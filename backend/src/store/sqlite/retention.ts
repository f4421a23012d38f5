import type Database from 'better-sqlite3';
import type { Execution, IngestBatch, ResourceSample } from '@rpa-analytics/contract';
import type { ExecutionReader } from './executionReader';

/** Reads and deletes expired raw rows for retention; the archive is written in between, by the caller. */
export class RetentionRepository {
  private readonly oldestRuns: Database.Statement<[number, number], { ext_id: string }>;
  private readonly deleteSteps: Database.Statement<[string]>;
  private readonly deleteRun: Database.Statement<[string]>;
  private readonly deleteSample: Database.Statement<[string, number]>;
  private readonly rememberArchived: Database.Statement<[string, number]>;
  private readonly deleteInTransaction: Database.Transaction<(batch: IngestBatch) => void>;

  constructor(
    private readonly db: Database.Database,
    private readonly reader: ExecutionReader,
  ) {
    this.oldestRuns = db.prepare('SELECT ext_id FROM executions WHERE started_at < ? ORDER BY started_at, id LIMIT ?');
    this.deleteSteps = db.prepare('DELETE FROM run_steps WHERE execution_id = (SELECT id FROM executions WHERE ext_id = ?)');
    this.deleteRun = db.prepare('DELETE FROM executions WHERE ext_id = ?');
    this.deleteSample = db.prepare('DELETE FROM resource_samples WHERE host_id = (SELECT id FROM hosts WHERE name = ?) AND ts = ?');
    // A finished run is in the rollups, which outlive the raw rows: remembered, so that
    // restoring it does not count it again.
    this.rememberArchived = db.prepare('INSERT OR REPLACE INTO archived_runs (ext_id, started_at, restored) VALUES (?, ?, 0)');
    this.deleteInTransaction = db.transaction((batch: IngestBatch) => {
      for (const e of batch.executions) {
        this.deleteSteps.run(e.id);
        this.deleteRun.run(e.id);
        if (e.status !== 'running') this.rememberArchived.run(e.id, e.startedAt);
      }
      for (const s of batch.samples) this.deleteSample.run(s.host, s.time);
    });
  }

  expired(cutoff: number, limit: number): IngestBatch {
    const executions: Execution[] = [];
    const steps: IngestBatch['steps'] = [];
    for (const { ext_id } of this.oldestRuns.all(cutoff, limit)) {
      const detail = this.reader.get(ext_id)!;
      const { steps: runSteps, resources: _resources, ...execution } = detail;
      executions.push(execution);
      steps.push(...runSteps);
    }
    const samples: ResourceSample[] = this.reader.samples({ to: cutoff, limit: limit * 10 });
    return { executions, steps, samples };
  }

  delete(batch: IngestBatch): void {
    this.deleteInTransaction.immediate(batch);
  }

  deleteRollupsBefore(cutoff: number): number {
    this.db.prepare('DELETE FROM sample_rollups WHERE bucket < ?').run(cutoff);
    // Runs whose rollups are gone are counted nowhere: restored, they are counted again.
    this.db.prepare('DELETE FROM archived_runs WHERE started_at < ?').run(cutoff);
    return this.db.prepare('DELETE FROM rollups WHERE bucket < ?').run(cutoff).changes;
  }
}
