// What an analysis pass reads in bulk (runs, steps, outlines, hourly starts, host buckets): the PostgreSQL side of `sqlite/analysisReader.ts`.
import type { ClientBase } from 'pg';
import { ERROR_TYPES, type Execution, type Step } from '@rpa-analytics/contract';
import type { NameKind, RunFilter, HostBuckets, HourlyStarts, RunEnd, RunOutline, RunWithHostCpu } from '../store';
import { ANALYSIS_MEMORY_SQL, SAMPLE_MEASURE_SQL } from '../sampleMeasures';
import { errorTypeCodec, executionStatusCodec, stepStatusCodec } from '../codes';
import { type ExecutionRow, toExecution } from '../rows';
import { EXECUTION_SELECT, type StepRow, toStep } from './executionReader';
import { all } from './query';
import { runConditions } from './runConditions';

export async function runs(client: ClientBase, filter: RunFilter): Promise<Execution[]> {
  const sql = runConditions(filter);
  const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
  if (filter.last !== undefined) {
    const rows = await all<ExecutionRow>(client, `SELECT ${EXECUTION_SELECT} ${sql.clause()} ORDER BY ${column} DESC, e.id DESC LIMIT ?`, [
      ...sql.params,
      filter.last,
    ]);
    return rows.reverse().map(toExecution);
  }
  return (await all<ExecutionRow>(client, `SELECT ${EXECUTION_SELECT} ${sql.clause()} ORDER BY ${column}, e.id`, sql.params)).map(toExecution);
}

export async function stepsOfRuns(client: ClientBase, filter: RunFilter): Promise<Step[]> {
  const sql = runConditions(filter);
  const rows = await all<StepRow & { ext_id: string }>(
    client,
    `SELECT e.ext_id, s.idx, n.name, s.started_at, s.duration_ms, s.status, m.name AS error
     FROM executions e JOIN steps s ON s.execution_id = e.id JOIN step_names n ON n.id = s.name_id
     LEFT JOIN error_messages m ON m.id = s.error_id ${sql.clause()} ORDER BY ${filter.by === 'end' ? 'e.ended_at' : 'e.started_at'}, e.id, s.idx`,
    sql.params,
  );
  return rows.map((r) => toStep(r.ext_id, r));
}

type OutlineRow = {
  workflow: string;
  host: string | null;
  robot: string | null;
  started_at: number;
  ended_at: number | null;
  duration_ms: number | null;
  status: number;
  error_type: number | null;
  names: string[] | null;
  starts: number[] | null;
  durations: number[] | null;
};

/** Runs in outline, each with its completed steps' names, starts and durations as arrays: one row a run, not whole runs and a row a step. */
export async function runOutlines(client: ClientBase, filter: RunFilter): Promise<RunOutline[]> {
  const sql = runConditions(filter);
  const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
  const select = `SELECT w.name AS workflow, h.name AS host, r.name AS robot, e.started_at, e.ended_at, e.duration_ms, e.status, e.error_type, st.names, st.starts, st.durations
    FROM executions e JOIN workflows w ON w.id = e.workflow_id LEFT JOIN hosts h ON h.id = e.host_id LEFT JOIN robots r ON r.id = e.robot_id
    LEFT JOIN LATERAL (
      SELECT array_agg(n.name ORDER BY s.idx) AS names, array_agg(s.started_at::float8 ORDER BY s.idx) AS starts, array_agg(s.duration_ms ORDER BY s.idx) AS durations
      FROM steps s JOIN step_names n ON n.id = s.name_id WHERE s.execution_id = e.id AND s.status = ${stepStatusCodec.encode('completed')}
    ) st ON true ${sql.clause()}`;
  const rows =
    filter.last !== undefined
      ? (await all<OutlineRow>(client, `${select} ORDER BY ${column} DESC, e.id DESC LIMIT ?`, [...sql.params, filter.last])).reverse()
      : await all<OutlineRow>(client, `${select} ORDER BY ${column}, e.id`, sql.params);
  return rows.map(({ workflow, host, robot, started_at, ended_at, duration_ms, status, error_type, names, starts, durations }) => {
    const times: number[] = [];
    for (let i = 0; i < (starts?.length ?? 0); i++) times.push(starts![i], durations![i]);
    const run: RunOutline = { workflow, startedAt: started_at, status: executionStatusCodec.decode(status), completedSteps: { names: names ?? [], times } };
    if (host !== null) run.host = host;
    if (robot !== null) run.robot = robot;
    if (ended_at !== null) run.endedAt = ended_at;
    if (duration_ms !== null) run.durationMs = duration_ms;
    if (error_type !== null) run.errorType = errorTypeCodec.decode(error_type);
    return run;
  });
}

export function hourlyStarts(client: ClientBase, from: number, to: number): Promise<HourlyStarts[]> {
  return all(
    client,
    `SELECT w.name AS workflow, e.started_at / 3600000 * 3600000 AS hour, count(*)::int AS runs
     FROM executions e JOIN workflows w ON w.id = e.workflow_id
     WHERE e.started_at >= ? AND e.started_at < ? GROUP BY w.name, e.started_at / 3600000`,
    [from, to],
  );
}

export function runEnds(client: ClientBase, from: number, to: number): Promise<RunEnd[]> {
  return all(
    client,
    `SELECT w.name AS workflow, e.ended_at AS "endedAt" FROM executions e JOIN workflows w ON w.id = e.workflow_id
     WHERE e.ended_at >= ? AND e.ended_at < ? ORDER BY e.ended_at, e.id`,
    [from, to],
  );
}

/** Summed here by PostgreSQL (plain addition: sums of many samples may differ from SQLite's in the last bits). */
export async function hostBuckets(client: ClientBase, from: number, to: number, bucketMs: number, only?: readonly string[]): Promise<HostBuckets[]> {
  const rows = await all<{ host: string; bucket: number; samples: number; cpu: number; memory: number; disk_samples: number; disk: number | null }>(
    client,
    `SELECT h.name AS host, s.ts - s.ts % ? AS bucket, count(*) AS samples, sum(${SAMPLE_MEASURE_SQL.cpuPercent}) AS cpu, sum(${ANALYSIS_MEMORY_SQL}) AS memory,
       count(${SAMPLE_MEASURE_SQL.diskUsedPercent})::int AS disk_samples, sum(${SAMPLE_MEASURE_SQL.diskUsedPercent}) AS disk
     FROM resource_samples s JOIN hosts h ON h.id = s.host_id WHERE s.ts >= ? AND s.ts < ?${only ? ' AND h.name = ANY(?::text[])' : ''}
     GROUP BY h.name, bucket ORDER BY h.name COLLATE "C", bucket`,
    [bucketMs, from, to, ...(only ? [[...only]] : [])],
  );
  const hosts: HostBuckets[] = [];
  for (const row of rows) {
    let last = hosts[hosts.length - 1];
    if (last?.host !== row.host)
      hosts.push((last = { host: row.host, times: [], samples: [], cpuPercent: [], memoryPercent: [], diskSamples: [], diskPercent: [] }));
    last.times.push(row.bucket);
    last.samples.push(row.samples);
    last.cpuPercent.push(row.cpu);
    last.memoryPercent.push(row.memory);
    last.diskSamples.push(row.disk_samples);
    last.diskPercent.push(row.disk ?? 0);
  }
  return hosts;
}

export function runsWithHostCpu(client: ClientBase, filter: RunFilter): Promise<RunWithHostCpu[]> {
  const sql = runConditions({ ...filter, statuses: ['completed'] });
  return all(
    client,
    `SELECT w.name AS workflow, e.duration_ms AS "durationMs", avg(r.cpu_percent) AS "cpuPercent"
     FROM executions e JOIN workflows w ON w.id = e.workflow_id
       JOIN resource_samples r ON r.host_id = e.host_id AND r.ts >= e.started_at AND r.ts <= e.started_at + e.duration_ms
     ${sql.clause() || 'WHERE true'} AND e.duration_ms IS NOT NULL GROUP BY e.id, w.name ORDER BY e.id`,
    sql.params,
  );
}

export function robotBusyTime(client: ClientBase, from: number, to: number): Promise<Array<{ robot: string; busyMs: number }>> {
  return all(
    client,
    `SELECT r.name AS robot,
       coalesce(sum(greatest(0, least(coalesce(e.ended_at, e.started_at + coalesce(e.duration_ms, 0)), ?::bigint) - greatest(e.started_at, ?::bigint))), 0)::float8 AS "busyMs"
     FROM robots r LEFT JOIN executions e ON e.robot_id = r.id AND e.started_at >= ?::bigint - 86400000 AND e.started_at < ?::bigint
     GROUP BY r.id, r.name ORDER BY r.name`,
    [to, from, from, to],
  );
}

export async function versionChanges(
  client: ClientBase,
  filter: { workflows?: string[]; from?: number; to?: number },
): Promise<Array<{ workflow: string; version: string; at: number }>> {
  const sql = runConditions({ workflows: filter.workflows });
  const rows = await all<{ workflow: string; version: string; at: number }>(
    client,
    `SELECT w.name AS workflow, v.name AS version, min(e.started_at) AS at
     FROM executions e JOIN workflows w ON w.id = e.workflow_id JOIN versions v ON v.id = e.version_id
     ${sql.clause()} GROUP BY e.workflow_id, e.version_id, w.name, v.name ORDER BY at`,
    sql.params,
  );
  return rows.filter((r) => (filter.from === undefined || r.at >= filter.from) && (filter.to === undefined || r.at < filter.to));
}

export async function names(client: ClientBase, kind: NameKind, workflows?: string[]): Promise<string[]> {
  if (kind === 'errorTypes') {
    const codes = await all<{ t: number }>(client, 'SELECT DISTINCT error_type AS t FROM executions WHERE error_type IS NOT NULL');
    return codes.map((c) => errorTypeCodec.decode(c.t)).sort((a, b) => ERROR_TYPES.indexOf(a) - ERROR_TYPES.indexOf(b));
  }
  if (kind === 'steps' && workflows) {
    // Step names by the workflows that ran them: a recent sample of each workflow's runs suffices.
    const sql = runConditions({ workflows });
    const rows = await all<{ name: string }>(
      client,
      `SELECT DISTINCT n.name COLLATE "C" AS name FROM step_names n WHERE n.id IN (
         SELECT s.name_id FROM steps s WHERE s.execution_id IN (
           SELECT e.id FROM executions e ${sql.clause()} ORDER BY e.started_at DESC LIMIT 500))
       ORDER BY 1`,
      sql.params,
    );
    return rows.map((r) => r.name);
  }
  const table = { workflows: 'workflows', steps: 'step_names', hosts: 'hosts', robots: 'robots', versions: 'versions' }[kind];
  return (await all<{ name: string }>(client, `SELECT name FROM ${table} ORDER BY name COLLATE "C"`)).map((r) => r.name);
}
