import { AppError } from '../domain/errors';
import type { ErrorDetail, Execution, ResourceSample, Step } from '@rpa-analytics/contract';
import { errorTypeCodec, executionStatusCodec } from './codes';

/*
 * Rows as both stores read them (the same columns under the same names) and what they become:
 * executions, samples, and the cursors of execution pages.
 */

export interface ExecutionRow {
  id: number;
  ext_id: string;
  workflow: string;
  robot: string | null;
  host: string | null;
  version: string | null;
  host_id: number | null;
  started_at: number;
  ended_at: number | null;
  duration_ms: number | null;
  status: number;
  error_type: number | null;
  error_message: string | null;
  steps_total: number | null;
  steps_completed: number | null;
  tags: string | null;
}

export const EXECUTION_COLUMNS = `
  e.id, e.ext_id, w.name AS workflow, r.name AS robot, h.name AS host, v.name AS version, e.host_id,
  e.started_at, e.ended_at, e.duration_ms, e.status, e.error_type, m.name AS error_message,
  e.steps_total, e.steps_completed, e.tags
  FROM executions e
  JOIN workflows w ON w.id = e.workflow_id
  LEFT JOIN robots r ON r.id = e.robot_id
  LEFT JOIN hosts h ON h.id = e.host_id
  LEFT JOIN versions v ON v.id = e.version_id
  LEFT JOIN error_messages m ON m.id = e.error_id`;

/** Absent optional fields stay absent, so what was posted reads back as it was posted. */
export function toExecution(row: ExecutionRow): Execution {
  const execution: Execution = {
    id: row.ext_id,
    workflow: row.workflow,
    startedAt: row.started_at,
    status: executionStatusCodec.decode(row.status),
  };
  if (row.robot !== null) execution.robot = row.robot;
  if (row.host !== null) execution.host = row.host;
  if (row.version !== null) execution.packageVersion = row.version;
  if (row.ended_at !== null) execution.endedAt = row.ended_at;
  if (row.duration_ms !== null) execution.durationMs = row.duration_ms;
  if (row.error_type !== null) execution.errorType = errorTypeCodec.decode(row.error_type);
  if (row.error_message !== null) execution.errorMessage = row.error_message;
  if (row.steps_total !== null) execution.stepsTotal = row.steps_total;
  if (row.steps_completed !== null) execution.stepsCompleted = row.steps_completed;
  if (row.tags !== null) execution.tags = JSON.parse(row.tags) as Record<string, string>;
  return execution;
}

/** A sample from its row (`s.*` with the host's and workflow's names); absent optional fields stay absent. */
export function toSample(r: Record<string, number | string | null>): ResourceSample {
  const sample: ResourceSample = {
    host: r.host as string,
    time: r.ts as number,
    cpuPercent: r.cpu_percent as number,
    memoryUsedBytes: r.memory_used as number,
    memoryTotalBytes: r.memory_total as number,
    diskReadBytesPerSec: r.disk_read as number,
    diskWriteBytesPerSec: r.disk_write as number,
    netRxBytesPerSec: r.net_rx as number,
    netTxBytesPerSec: r.net_tx as number,
  };
  if (r.gpu_percent !== null) sample.gpuPercent = r.gpu_percent as number;
  if (r.gpu_memory_used !== null) sample.gpuMemoryUsedBytes = r.gpu_memory_used as number;
  if (r.disk_used !== null) sample.diskUsedBytes = Number(r.disk_used);
  if (r.disk_total !== null) sample.diskTotalBytes = Number(r.disk_total);
  if (r.workflow !== null) sample.workflow = r.workflow as string;
  if (r.execution_ext_id !== null) sample.executionId = r.execution_ext_id as string;
  return sample;
}

export function encodeCursor(row: ExecutionRow): string {
  return Buffer.from(`${row.started_at}:${row.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { startedAt: number; id: number } {
  const match = /^(-?\d+):(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new AppError('bad_request', `cursor '${cursor}' is not one this collector returned`);
  return { startedAt: Number(match[1]), id: Number(match[2]) };
}

/** Sorts by time, keeping each row's position in the request so errors can name it. */
export function byTime<T>(rows: readonly T[], time: (row: T) => number): Array<{ row: T; position: number }> {
  return rows.map((row, position) => ({ row, position })).sort((a, b) => time(a.row) - time(b.row) || a.position - b.position);
}

/**
 * The rule both stores apply to a step whose run neither the batch nor the store has: the batch is
 * refused, naming each such step (in time order) and its run.
 * @throws AppError `validation_failed` when `unknown` (positions in `steps`) is not empty.
 */
export function refuseUnknownExecutions(steps: readonly Step[], unknown: readonly number[]): void {
  if (unknown.length === 0) return;
  const details: ErrorDetail[] = byTime(unknown, (position) => steps[position].startedAt).map(({ row: position }) => ({
    field: `steps[${position}].executionId`,
    message: `unknown execution '${steps[position].executionId}'`,
  }));
  throw new AppError('validation_failed', 'steps refer to executions that were never reported', details);
}
