import type Database from 'better-sqlite3';
import { QuantileDigest } from '../../analysis/quantileDigest';
import type { Execution } from '../../domain/types';
import { executionStatusCodec } from './codes';
import type { Dictionaries } from './dictionaries';

export const ROLLUP_RESOLUTIONS = [60_000, 3_600_000] as const;
/** Steps are rolled up by the hour only: minute rollups of steps would copy the step rows. */
export const STEP_ROLLUP_RESOLUTION = 3_600_000;

interface Aggregate {
  count: number;
  timed: number;
  sum: number;
  min: number | null;
  max: number | null;
  digest?: QuantileDigest;
}

export interface FinishedRun {
  execution: Execution;
  steps: Array<{ name: string; startedAt: number; durationMs: number }>;
}

function fold(aggregate: Aggregate, duration: number | undefined): void {
  aggregate.count++;
  if (duration === undefined) return;
  aggregate.timed++;
  aggregate.sum += duration;
  aggregate.min = aggregate.min === null ? duration : Math.min(aggregate.min, duration);
  aggregate.max = aggregate.max === null ? duration : Math.max(aggregate.max, duration);
  (aggregate.digest ??= new QuantileDigest()).add(duration);
}

/**
 * Keeps the rollups up to date (runs by workflow and status, per minute and hour; steps by
 * workflow and step, per hour): once per batch, for the runs the batch brought
 * to a final status for the first time (so a retried batch adds nothing), each touched rollup
 * row is read, merged with the batch's part and written back, inside the batch's transaction.
 */
export class RollupWriter {
  private readonly selectRun: Database.Statement;
  private readonly upsertRun: Database.Statement;
  private readonly selectStep: Database.Statement;
  private readonly upsertStep: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {
    this.selectRun = db.prepare('SELECT runs, timed, sum_ms, min_ms, max_ms, digest FROM run_rollups WHERE resolution = ? AND workflow_id = ? AND bucket = ? AND status = ?');
    this.upsertRun = db.prepare(`
      INSERT INTO run_rollups (resolution, workflow_id, bucket, status, runs, timed, sum_ms, min_ms, max_ms, digest)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (resolution, workflow_id, bucket, status) DO UPDATE SET
        runs = excluded.runs, timed = excluded.timed, sum_ms = excluded.sum_ms, min_ms = excluded.min_ms,
        max_ms = excluded.max_ms, digest = excluded.digest`);
    this.selectStep = db.prepare('SELECT steps, sum_ms, min_ms, max_ms, digest FROM step_rollups WHERE resolution = ? AND workflow_id = ? AND bucket = ? AND step_id = ?');
    this.upsertStep = db.prepare(`
      INSERT INTO step_rollups (resolution, workflow_id, bucket, step_id, steps, sum_ms, min_ms, max_ms, digest)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (resolution, workflow_id, bucket, step_id) DO UPDATE SET
        steps = excluded.steps, sum_ms = excluded.sum_ms, min_ms = excluded.min_ms, max_ms = excluded.max_ms, digest = excluded.digest`);
  }

  add(finished: readonly FinishedRun[]): void {
    if (finished.length === 0) return;
    const runs = new Map<string, { key: [number, number, number, number]; aggregate: Aggregate }>();
    const steps = new Map<string, { key: [number, number, number, number]; aggregate: Aggregate }>();
    for (const { execution, steps: runSteps } of finished) {
      const workflowId = this.dictionaries.workflows.intern(execution.workflow);
      const status = executionStatusCodec.encode(execution.status);
      // Only completed runs have a duration that run-time statistics describe.
      const duration = execution.status === 'completed' ? execution.durationMs : undefined;
      for (const resolution of ROLLUP_RESOLUTIONS) {
        const bucket = Math.floor(execution.startedAt / resolution) * resolution;
        const id = `${resolution}:${workflowId}:${bucket}:${status}`;
        const entry = runs.get(id) ?? { key: [resolution, workflowId, bucket, status], aggregate: { count: 0, timed: 0, sum: 0, min: null, max: null } };
        fold(entry.aggregate, duration);
        runs.set(id, entry);
        if (resolution !== STEP_ROLLUP_RESOLUTION) continue;
        for (const step of runSteps) {
          const stepId = this.dictionaries.stepNames.intern(step.name);
          // Steps belong to their run's bucket, as run-level panels count them.
          const sid = `${resolution}:${workflowId}:${bucket}:${stepId}`;
          const stepEntry = steps.get(sid) ?? { key: [resolution, workflowId, bucket, stepId], aggregate: { count: 0, timed: 0, sum: 0, min: null, max: null } };
          fold(stepEntry.aggregate, step.durationMs);
          steps.set(sid, stepEntry);
        }
      }
    }
    for (const { key, aggregate } of runs.values()) {
      const row = this.selectRun.get(...key) as { runs: number; timed: number; sum_ms: number; min_ms: number | null; max_ms: number | null; digest: Buffer | null } | undefined;
      const merged = row ? mergeRow(aggregate, { count: row.runs, timed: row.timed, sum: row.sum_ms, min: row.min_ms, max: row.max_ms, digest: row.digest }) : aggregate;
      this.upsertRun.run(...key, merged.count, merged.timed, merged.sum, merged.min, merged.max, merged.digest?.encode() ?? null);
    }
    for (const { key, aggregate } of steps.values()) {
      const row = this.selectStep.get(...key) as { steps: number; sum_ms: number; min_ms: number; max_ms: number; digest: Buffer } | undefined;
      const merged = row ? mergeRow(aggregate, { count: row.steps, timed: row.steps, sum: row.sum_ms, min: row.min_ms, max: row.max_ms, digest: row.digest }) : aggregate;
      this.upsertStep.run(...key, merged.count, merged.sum, merged.min, merged.max, merged.digest!.encode());
    }
  }
}

function mergeRow(part: Aggregate, stored: Omit<Aggregate, 'digest'> & { digest: Buffer | null }): Aggregate {
  const digest = stored.digest ? QuantileDigest.decode(stored.digest) : undefined;
  if (digest && part.digest) digest.merge(part.digest);
  const pick = (a: number | null, b: number | null, f: (x: number, y: number) => number) => (a === null ? b : b === null ? a : f(a, b));
  return {
    count: part.count + stored.count,
    timed: part.timed + stored.timed,
    sum: part.sum + stored.sum,
    min: pick(part.min, stored.min, Math.min),
    max: pick(part.max, stored.max, Math.max),
    digest: digest ?? part.digest,
  };
}
