// Runs one at a time and by page, and host samples: the PostgreSQL side of `sqlite/executionReader.ts`.
import type { ClientBase } from 'pg';
import { type ExecutionDetail, type ResourceSample, type Step } from '@rpa-analytics/contract';
import type { ExecutionPage, ExecutionPageRequest, SampleFilter, SampleBucket, SampleMeasure } from '../store';
import { SAMPLE_BUCKETS_SELECT, SAMPLE_MEASURE_SQL } from '../sampleMeasures';
import { stepStatusCodec } from '../codes';
import { decodeCursor, encodeCursor, EXECUTION_COLUMNS, type ExecutionRow, toExecution, toSample } from '../rows';
import { Sql, all } from './query';
import { afterCursor, sampleConditions } from '../conditions';
import { POSTGRES, runConditions } from './runConditions';

/** SQLite's execution columns and joins; tags are jsonb here, read as their text as SQLite stores them. */
export const EXECUTION_SELECT = EXECUTION_COLUMNS.replace('e.tags\n', 'e.tags::text AS tags\n');
if (EXECUTION_SELECT === EXECUTION_COLUMNS) throw new Error('execution columns changed: read tags as text');

export async function listExecutions(client: ClientBase, request: ExecutionPageRequest): Promise<ExecutionPage> {
  const sql = runConditions(request);
  if (request.cursor !== undefined) {
    const after = afterCursor(decodeCursor(request.cursor));
    sql.add(after.where[0], ...after.params);
  }
  const rows = await all<ExecutionRow>(client, `SELECT ${EXECUTION_SELECT} ${sql.clause()} ORDER BY e.started_at DESC, e.id DESC LIMIT ?`, [
    ...sql.params,
    request.limit + 1,
  ]);
  const page = rows.slice(0, request.limit);
  return { items: page.map(toExecution), nextCursor: rows.length > request.limit ? encodeCursor(page[page.length - 1]) : undefined };
}

export type StepRow = { idx: number; name: string; started_at: number; duration_ms: number; status: number; error: string | null };

export function toStep(executionId: string, r: StepRow): Step {
  const step: Step = { executionId, index: r.idx, name: r.name, startedAt: r.started_at, durationMs: r.duration_ms, status: stepStatusCodec.decode(r.status) };
  if (r.error !== null) step.error = r.error;
  return step;
}

export async function getExecution(client: ClientBase, id: string): Promise<ExecutionDetail | undefined> {
  const [row] = await all<ExecutionRow>(client, `SELECT ${EXECUTION_SELECT} WHERE e.ext_id = ?`, [id]);
  if (!row) return undefined;
  const steps = await all<StepRow>(
    client,
    `SELECT s.idx, n.name, s.started_at, s.duration_ms, s.status, m.name AS error FROM steps s JOIN step_names n ON n.id = s.name_id
     LEFT JOIN error_messages m ON m.id = s.error_id WHERE s.execution_id = ? ORDER BY s.idx`,
    [row.id],
  );
  const detail: ExecutionDetail = { ...toExecution(row), steps: steps.map((s) => toStep(id, s)) };
  // Samples carry only their host; a run owns the samples its host took while it ran.
  if (row.host_id !== null) {
    const end = row.ended_at ?? (row.duration_ms !== null ? row.started_at + row.duration_ms : Date.now());
    const [usage] = await all<{ samples: number; cpu_avg: number; cpu_max: number; mem_avg: number; mem_max: number }>(
      client,
      `SELECT count(*)::int AS samples, avg(cpu_percent) AS cpu_avg, max(cpu_percent) AS cpu_max, avg(memory_used)::float8 AS mem_avg, max(memory_used) AS mem_max
       FROM resource_samples WHERE host_id = ? AND ts >= ? AND ts <= ?`,
      [row.host_id, row.started_at, end],
    );
    if (usage.samples)
      detail.resources = {
        samples: usage.samples,
        cpuPercentAvg: usage.cpu_avg,
        cpuPercentMax: usage.cpu_max,
        memoryUsedBytesAvg: usage.mem_avg,
        memoryUsedBytesMax: usage.mem_max,
      };
  }
  return detail;
}

type SampleRow = Record<string, number | string | null>;

async function sampleRows(client: ClientBase, sql: Sql, limit?: number): Promise<ResourceSample[]> {
  const rows = await all<SampleRow>(
    client,
    `SELECT h.name AS host, s.*, w.name AS workflow FROM resource_samples s JOIN hosts h ON h.id = s.host_id LEFT JOIN workflows w ON w.id = s.workflow_id
     ${sql.clause()} ORDER BY s.ts, h.name COLLATE "C"${limit ? ' LIMIT ?' : ''}`,
    [...sql.params, ...(limit ? [limit] : [])],
  );
  return rows.map(toSample);
}

export function listSamples(client: ClientBase, filter: SampleFilter): Promise<ResourceSample[]> {
  return sampleRows(client, Sql.from(sampleConditions(POSTGRES, filter)!), filter.limit);
}

export async function sampleBuckets(
  client: ClientBase,
  filter: Omit<SampleFilter, 'limit'>,
  measure: SampleMeasure,
  bucketMs: number,
): Promise<SampleBucket[]> {
  // Never null here: unknown hosts are left to the query, which then matches no row.
  const sql = Sql.from(sampleConditions(POSTGRES, filter)!);
  const rows = await all<{ host: string; workflow: string | null; b: number; n: number; total: number; low: number; high: number }>(
    client,
    `SELECT h.name AS host, w.name AS workflow, g.* FROM (
       ${SAMPLE_BUCKETS_SELECT} FROM (
         SELECT s.host_id, s.workflow_id, s.ts - s.ts % ? AS b, ${SAMPLE_MEASURE_SQL[measure]} AS v FROM resource_samples s ${sql.clause()}
       ) x WHERE v IS NOT NULL GROUP BY host_id, workflow_id, b
     ) g JOIN hosts h ON h.id = g.host_id LEFT JOIN workflows w ON w.id = g.workflow_id`,
    [bucketMs, ...sql.params],
  );
  return rows.map(({ host, workflow, b, n, total, low, high }) => ({
    host,
    ...(workflow === null ? {} : { workflow }),
    time: b,
    count: n,
    sum: total,
    min: low,
    max: high,
  }));
}

export async function sample(client: ClientBase, host: string, time: number): Promise<ResourceSample | undefined> {
  return (await sampleRows(client, new Sql().add('h.name = ?', host).add('s.ts = ?', time)))[0];
}
