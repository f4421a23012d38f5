import type Database from 'better-sqlite3';
import { AppError } from '../../domain/errors';
import type { Execution, ExecutionDetail, ExecutionResourceUsage, ResourceSample, Step } from '../../domain/types';
import type { ExecutionPage, ExecutionPageRequest, SampleFilter } from '../store';
import { runConditions } from './runConditions';
import { errorTypeCodec, executionStatusCodec, stepStatusCodec } from './codes';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';

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

interface StepRow {
  idx: number;
  name: string;
  started_at: number;
  duration_ms: number;
  status: number;
  error: string | null;
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

/** Reads executions, steps and samples back; every value reaches SQL as a bound parameter. */
export class ExecutionReader {
  private readonly byExtId: Database.Statement<[string], ExecutionRow>;
  private readonly stepsOf: Database.Statement<[number], StepRow>;
  private readonly usageOf: Database.Statement<[number, number, number], Record<string, number | null>>;

  constructor(
    private readonly db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {
    this.byExtId = db.prepare(`SELECT ${EXECUTION_COLUMNS} WHERE e.ext_id = ?`);
    this.stepsOf = db.prepare(`
      SELECT s.idx, n.name, s.started_at, s.duration_ms, s.status, m.name AS error
      FROM steps s JOIN step_names n ON n.id = s.name_id LEFT JOIN error_messages m ON m.id = s.error_id
      WHERE s.execution_id = ? ORDER BY s.idx`);
    this.usageOf = db.prepare(`
      SELECT count(*) AS samples, avg(cpu_percent) AS cpuAvg, max(cpu_percent) AS cpuMax,
        avg(memory_used) AS memAvg, max(memory_used) AS memMax
      FROM resource_samples WHERE host_id = ? AND ts >= ? AND ts <= ?`);
  }

  list(request: ExecutionPageRequest): ExecutionPage {
    const conditions = runConditions(this.dictionaries, request);
    if (!conditions) return { items: [] };
    const { where, params } = conditions;
    if (request.cursor !== undefined) {
      const { startedAt, id } = decodeCursor(request.cursor);
      where.push('(e.started_at < ? OR (e.started_at = ? AND e.id < ?))');
      params.push(startedAt, startedAt, id);
    }
    const sql = `SELECT ${EXECUTION_COLUMNS} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY e.started_at DESC, e.id DESC LIMIT ?`;
    const rows = this.db.prepare<unknown[], ExecutionRow>(sql).all(...params, request.limit + 1);
    const page = rows.slice(0, request.limit);
    return {
      items: page.map(toExecution),
      nextCursor: rows.length > request.limit ? encodeCursor(page[page.length - 1]) : undefined,
    };
  }

  get(id: string): ExecutionDetail | undefined {
    const row = this.byExtId.get(id);
    if (!row) return undefined;
    const steps: Step[] = this.stepsOf.all(row.id).map((s) => {
      const step: Step = {
        executionId: row.ext_id,
        index: s.idx,
        name: s.name,
        startedAt: s.started_at,
        durationMs: s.duration_ms,
        status: stepStatusCodec.decode(s.status),
      };
      if (s.error !== null) step.error = s.error;
      return step;
    });
    const detail: ExecutionDetail = { ...toExecution(row), steps };
    const resources = this.resourceUsage(row);
    if (resources) detail.resources = resources;
    return detail;
  }

  /** The sample a host took at `time`, if stored. */
  sample(host: string, time: number): ResourceSample | undefined {
    const hostId = this.dictionaries.hosts.find(host);
    if (hostId === undefined) return undefined;
    return this.sampleRows(['s.host_id = ?', 's.ts = ?'], [hostId, time])[0];
  }

  samples(filter: SampleFilter): ResourceSample[] {
    const where: string[] = [];
    const params: Array<number | string> = [];
    if (filter.hosts) {
      const ids = this.idsOf(this.dictionaries.hosts, filter.hosts);
      if (ids.length === 0) return [];
      where.push(`s.host_id IN (${ids.map(() => '?').join(',')})`);
      params.push(...ids);
    }
    if (filter.from !== undefined) {
      where.push('s.ts >= ?');
      params.push(filter.from);
    }
    if (filter.to !== undefined) {
      where.push('s.ts < ?');
      params.push(filter.to);
    }
    return this.sampleRows(where, params, filter.limit);
  }

  private sampleRows(where: string[], params: Array<number | string>, limit?: number): ResourceSample[] {
    const rows = this.db
      .prepare<unknown[], Record<string, number | string | null>>(
        `SELECT h.name AS host, s.*, w.name AS workflow FROM resource_samples s
         JOIN hosts h ON h.id = s.host_id LEFT JOIN workflows w ON w.id = s.workflow_id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.ts, h.name${limit ? ' LIMIT ?' : ''}`,
      )
      .all(...params, ...(limit ? [limit] : []));
    return rows.map(toSample);
  }

  /** Samples carry only their host; a run owns the samples its host took while it ran. */
  private resourceUsage(row: ExecutionRow): ExecutionResourceUsage | undefined {
    if (row.host_id === null) return undefined;
    const end = row.ended_at ?? (row.duration_ms !== null ? row.started_at + row.duration_ms : Date.now());
    const usage = this.usageOf.get(row.host_id, row.started_at, end);
    if (!usage || !usage.samples) return undefined;
    return {
      samples: usage.samples,
      cpuPercentAvg: usage.cpuAvg!,
      cpuPercentMax: usage.cpuMax!,
      memoryUsedBytesAvg: usage.memAvg!,
      memoryUsedBytesMax: usage.memMax!,
    };
  }

  private idsOf(dictionary: Dictionary, names: string[]): number[] {
    return names.map((n) => dictionary.find(n)).filter((id): id is number => id !== undefined);
  }
}
