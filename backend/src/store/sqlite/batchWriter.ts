import type Database from 'better-sqlite3';
import { AppError, type ErrorDetail } from '../../domain/errors';
import type { Execution, IngestBatch, IngestResult, ResourceSample, Step } from '../../domain/types';
import { errorTypeCodec, executionStatusCodec, stepStatusCodec } from '../codes';
import { type Dictionaries, resetDictionaries } from './dictionaries';
import { RollupWriter } from './rollupWriter';
import type { ChangeLog } from './changeLog';

const RUNNING = executionStatusCodec.encode('running');

/** Sorts by time, keeping each row's position in the request so errors can name it. */
function byTime<T>(rows: readonly T[], time: (row: T) => number): Array<{ row: T; position: number }> {
  return rows.map((row, position) => ({ row, position })).sort((a, b) => time(a.row) - time(b.row) || a.position - b.position);
}

/**
 * Writes ingest batches: one transaction per batch, rows in time order, statements prepared once.
 * Upserts keyed on the runner's ids make a retried batch rewrite the same rows, never add rows.
 */
export class BatchWriter {
  private readonly upsertExecution: Database.Statement;
  private readonly findExecution: Database.Statement<[string], { id: number }>;
  private readonly statusOf: Database.Statement<[string], { status: number }>;
  private readonly stepDurations: Database.Statement<[number], { name: string; startedAt: number; durationMs: number }>;
  private readonly rollups: RollupWriter;
  private readonly upsertStep: Database.Statement;
  private readonly upsertSample: Database.Statement;
  private readonly writeInTransaction: (batch: IngestBatch) => IngestResult;

  constructor(
    db: Database.Database,
    private readonly dictionaries: Dictionaries,
    private readonly changes: ChangeLog,
  ) {
    // A late or retried "start" never takes back what a "complete" already said.
    this.upsertExecution = db.prepare(`
      INSERT INTO executions (ext_id, workflow_id, robot_id, host_id, version_id, started_at, ended_at,
        duration_ms, status, error_type, error_id, steps_total, steps_completed, tags)
      VALUES (@extId, @workflowId, @robotId, @hostId, @versionId, @startedAt, @endedAt,
        @durationMs, @status, @errorType, @errorId, @stepsTotal, @stepsCompleted, @tags)
      ON CONFLICT (ext_id) DO UPDATE SET
        workflow_id = excluded.workflow_id,
        robot_id = coalesce(excluded.robot_id, robot_id),
        host_id = coalesce(excluded.host_id, host_id),
        version_id = coalesce(excluded.version_id, version_id),
        started_at = excluded.started_at,
        ended_at = coalesce(excluded.ended_at, ended_at),
        duration_ms = coalesce(excluded.duration_ms, duration_ms),
        status = CASE WHEN excluded.status = ${RUNNING} THEN status ELSE excluded.status END,
        error_type = coalesce(excluded.error_type, error_type),
        error_id = coalesce(excluded.error_id, error_id),
        steps_total = coalesce(excluded.steps_total, steps_total),
        steps_completed = coalesce(excluded.steps_completed, steps_completed),
        tags = coalesce(excluded.tags, tags)
      RETURNING id`);
    this.findExecution = db.prepare('SELECT id FROM executions WHERE ext_id = ?');
    this.statusOf = db.prepare('SELECT status FROM executions WHERE ext_id = ?');
    this.stepDurations = db.prepare(
      'SELECT n.name, s.started_at AS startedAt, s.duration_ms AS durationMs FROM steps s JOIN step_names n ON n.id = s.name_id WHERE s.execution_id = ? ORDER BY s.idx',
    );
    this.rollups = new RollupWriter(db, dictionaries);
    // Positional parameters: binding by name costs a lookup per value, on the hottest statement.
    this.upsertStep = db.prepare(`
      INSERT INTO steps (execution_id, idx, name_id, started_at, duration_ms, status, error_id)
      VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (execution_id, idx) DO UPDATE SET
        name_id = excluded.name_id, started_at = excluded.started_at, duration_ms = excluded.duration_ms,
        status = excluded.status, error_id = excluded.error_id`);
    this.upsertSample = db.prepare(`
      INSERT INTO resource_samples (host_id, ts, cpu_percent, memory_used, memory_total, gpu_percent,
        gpu_memory_used, disk_read, disk_write, net_rx, net_tx, workflow_id, execution_ext_id)
      VALUES (@hostId, @time, @cpuPercent, @memoryUsedBytes, @memoryTotalBytes, @gpuPercent,
        @gpuMemoryUsedBytes, @diskReadBytesPerSec, @diskWriteBytesPerSec, @netRxBytesPerSec,
        @netTxBytesPerSec, @workflowId, @executionId)
      ON CONFLICT (host_id, ts) DO UPDATE SET
        cpu_percent = excluded.cpu_percent, memory_used = excluded.memory_used,
        memory_total = excluded.memory_total, gpu_percent = excluded.gpu_percent,
        gpu_memory_used = excluded.gpu_memory_used, disk_read = excluded.disk_read,
        disk_write = excluded.disk_write, net_rx = excluded.net_rx, net_tx = excluded.net_tx,
        workflow_id = coalesce(excluded.workflow_id, workflow_id),
        execution_ext_id = coalesce(excluded.execution_ext_id, execution_ext_id)`);
    this.writeInTransaction = db.transaction((batch: IngestBatch) => this.writeRows(batch));
  }

  /**
   * @throws AppError `validation_failed` when a step names an execution that neither the batch
   * nor the store knows; nothing of the batch is written then.
   */
  write(batch: IngestBatch): IngestResult {
    try {
      return this.writeInTransaction(batch);
    } catch (error) {
      // Ids interned inside the rolled-back transaction no longer exist.
      resetDictionaries(this.dictionaries);
      throw error;
    }
  }

  private writeRows(batch: IngestBatch): IngestResult {
    const executionIds = new Map<string, number>();
    const finished = new Map<number, Execution>();
    // Runs new in this batch: all their steps are in it too (a step of an unknown run is refused).
    const newRuns = new Map<number, Map<number, Step>>();
    for (const { row } of byTime(batch.executions, (e) => e.startedAt)) {
      const before = this.statusOf.get(row.id)?.status;
      const id = this.writeExecution(row);
      executionIds.set(row.id, id);
      if (before === undefined) newRuns.set(id, new Map());
      if (row.status !== 'running' && (before === undefined || before === RUNNING)) {
        const durationMs = row.durationMs ?? (row.endedAt !== undefined ? row.endedAt - row.startedAt : undefined);
        finished.set(id, durationMs === undefined ? row : { ...row, durationMs });
      }
    }
    const unknown: ErrorDetail[] = [];
    for (const { row, position } of byTime(batch.steps, (s) => s.startedAt)) {
      const executionId = executionIds.get(row.executionId) ?? this.findExecution.get(row.executionId)?.id;
      if (executionId === undefined) {
        unknown.push({ field: `steps[${position}].executionId`, message: `unknown execution '${row.executionId}'` });
        continue;
      }
      this.writeStep(executionId, row);
      // The same index twice in a batch: the later write is the stored one, as here.
      newRuns.get(executionId)?.set(row.index, row);
    }
    if (unknown.length > 0) {
      throw new AppError('validation_failed', 'steps refer to executions that were never reported', unknown);
    }
    for (const { row } of byTime(batch.samples, (s) => s.time)) this.writeSample(row);
    const newlyFinished = [...finished].map(([id, execution]) => ({ execution, steps: this.stepsOf(id, newRuns.get(id)) }));
    this.rollups.add(newlyFinished);
    this.changes.append({
      executions: [...new Set([...batch.executions.map((e) => e.id), ...batch.steps.map((s) => s.executionId)])],
      samples: batch.samples.map((s) => [s.host, s.time] as const),
    });
    return { executions: batch.executions.length, steps: batch.steps.length, samples: batch.samples.length, finished: newlyFinished };
  }

  /** A finished run's steps by index: from the batch when the run is new in it, else as stored. */
  private stepsOf(id: number, inBatch: Map<number, Step> | undefined): Array<{ name: string; startedAt: number; durationMs: number }> {
    if (!inBatch) return this.stepDurations.all(id);
    return [...inBatch.values()].sort((a, b) => a.index - b.index);
  }

  private writeExecution(execution: Execution): number {
    const d = this.dictionaries;
    const durationMs =
      execution.durationMs ?? (execution.endedAt !== undefined ? execution.endedAt - execution.startedAt : null);
    const row = this.upsertExecution.get({
      extId: execution.id,
      workflowId: d.workflows.intern(execution.workflow),
      robotId: d.robots.internOptional(execution.robot),
      hostId: d.hosts.internOptional(execution.host),
      versionId: d.versions.internOptional(execution.packageVersion),
      startedAt: execution.startedAt,
      endedAt: execution.endedAt ?? null,
      durationMs,
      status: executionStatusCodec.encode(execution.status),
      errorType: execution.errorType === undefined ? null : errorTypeCodec.encode(execution.errorType),
      errorId: d.errorMessages.internOptional(execution.errorMessage),
      stepsTotal: execution.stepsTotal ?? null,
      stepsCompleted: execution.stepsCompleted ?? null,
      tags: execution.tags === undefined ? null : JSON.stringify(execution.tags),
    }) as { id: number };
    return row.id;
  }

  private writeStep(executionId: number, step: Step): void {
    this.upsertStep.run(
      executionId,
      step.index,
      this.dictionaries.stepNames.intern(step.name),
      step.startedAt,
      step.durationMs,
      stepStatusCodec.encode(step.status),
      this.dictionaries.errorMessages.internOptional(step.error),
    );
  }

  private writeSample(sample: ResourceSample): void {
    this.upsertSample.run({
      hostId: this.dictionaries.hosts.intern(sample.host),
      time: sample.time,
      cpuPercent: sample.cpuPercent,
      memoryUsedBytes: sample.memoryUsedBytes,
      memoryTotalBytes: sample.memoryTotalBytes,
      gpuPercent: sample.gpuPercent ?? null,
      gpuMemoryUsedBytes: sample.gpuMemoryUsedBytes ?? null,
      diskReadBytesPerSec: sample.diskReadBytesPerSec,
      diskWriteBytesPerSec: sample.diskWriteBytesPerSec,
      netRxBytesPerSec: sample.netRxBytesPerSec,
      netTxBytesPerSec: sample.netTxBytesPerSec,
      workflowId: this.dictionaries.workflows.internOptional(sample.workflow),
      executionId: sample.executionId ?? null,
    });
  }
}
