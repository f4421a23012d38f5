import type { ClientBase } from 'pg';
import type { Anomaly, Incident, Insight } from '@rpa-analytics/contract';
import { AppError } from '../../domain/errors';
import { ERROR_TYPES, type Execution, type ExecutionDetail, type IngestBatch, type ResourceSample, type Step } from '@rpa-analytics/contract';
import type {
  AnalysisCommit,
  Arrivals,
  AnomalyFilter,
  ChangeSet,
  ExecutionFilter,
  ExecutionPage,
  ExecutionPageRequest,
  IncidentFilter,
  InsightFilter,
  NameKind,
  RunFilter,
  SampleFilter,
  HostBuckets,
  HourlyStarts,
  KeptSpan,
  SampleBucket,
  SampleMeasure,
  RunOutline,
  RunWithHostCpu,
} from '../store';
import { stateJson } from '../store';
import { ANALYSIS_MEMORY_SQL, SAMPLE_BUCKETS_SELECT, SAMPLE_MEASURE_SQL } from '../sampleMeasures';
import { errorTypeCodec, executionStatusCodec, stepStatusCodec } from '../codes';
import { decodeCursor, encodeCursor, EXECUTION_COLUMNS, type ExecutionRow, toExecution, toSample } from '../rows';
import { arrivedKeys, changedKeys } from '../changeKeys';
import { INGEST_LOCK } from './pgIngest';

/**
 * The SQLite store's reads and analysis results on PostgreSQL: the same SQL where the dialects
 * agree, written with `?` and numbered here. Names in filters match through the dictionaries.
 */
class Sql {
  readonly where: string[] = [];
  readonly params: unknown[] = [];

  add(condition: string, ...values: unknown[]): this {
    this.where.push(condition);
    this.params.push(...values);
    return this;
  }

  clause(): string {
    return this.where.length ? `WHERE ${this.where.join(' AND ')}` : '';
  }
}

/** `?` placeholders numbered as PostgreSQL's `$n` (none of our SQL has a `?` in a literal). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

async function all<T extends object>(client: ClientBase, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await client.query<T>(numbered(sql), params)).rows;
}

/** SQLite's execution columns and joins; tags are jsonb here, read as their text as SQLite stores them. */
const EXECUTION_SELECT = EXECUTION_COLUMNS.replace('e.tags\n', 'e.tags::text AS tags\n');
if (EXECUTION_SELECT === EXECUTION_COLUMNS) throw new Error('execution columns changed: read tags as text');

function runConditions(filter: ExecutionFilter & Pick<RunFilter, 'by'>): Sql {
  const sql = new Sql();
  if (filter.workflows) sql.add('e.workflow_id IN (SELECT id FROM workflows WHERE name = ANY(?))', filter.workflows);
  if (filter.hosts) sql.add('e.host_id IN (SELECT id FROM hosts WHERE name = ANY(?))', filter.hosts);
  if (filter.robots) sql.add('e.robot_id IN (SELECT id FROM robots WHERE name = ANY(?))', filter.robots);
  if (filter.statuses)
    sql.add(
      'e.status = ANY(?::int2[])',
      filter.statuses.map((s) => executionStatusCodec.encode(s)),
    );
  const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
  if (filter.by === 'end') sql.add('e.ended_at IS NOT NULL');
  if (filter.from !== undefined) sql.add(`${column} >= ?`, filter.from);
  if (filter.to !== undefined) sql.add(`${column} < ?`, filter.to);
  // A run ends after it starts: said outright, the index by start narrows runs that ended before a time.
  if (filter.to !== undefined && filter.by === 'end') sql.add('e.started_at < ?', filter.to);
  return sql;
}

export async function listExecutions(client: ClientBase, request: ExecutionPageRequest): Promise<ExecutionPage> {
  const sql = runConditions(request);
  if (request.cursor !== undefined) {
    const { startedAt, id } = decodeCursor(request.cursor);
    sql.add('(e.started_at < ? OR (e.started_at = ? AND e.id < ?))', startedAt, startedAt, id);
  }
  const rows = await all<ExecutionRow>(client, `SELECT ${EXECUTION_SELECT} ${sql.clause()} ORDER BY e.started_at DESC, e.id DESC LIMIT ?`, [
    ...sql.params,
    request.limit + 1,
  ]);
  const page = rows.slice(0, request.limit);
  return { items: page.map(toExecution), nextCursor: rows.length > request.limit ? encodeCursor(page[page.length - 1]) : undefined };
}

type StepRow = { idx: number; name: string; started_at: number; duration_ms: number; status: number; error: string | null };

function toStep(executionId: string, r: StepRow): Step {
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
  const sql = new Sql();
  if (filter.hosts) sql.add('s.host_id IN (SELECT id FROM hosts WHERE name = ANY(?))', filter.hosts);
  if (filter.from !== undefined) sql.add('s.ts >= ?', filter.from);
  if (filter.to !== undefined) sql.add('s.ts < ?', filter.to);
  return sampleRows(client, sql, filter.limit);
}

export async function sampleBuckets(
  client: ClientBase,
  filter: Omit<SampleFilter, 'limit'>,
  measure: SampleMeasure,
  bucketMs: number,
): Promise<SampleBucket[]> {
  const sql = new Sql();
  if (filter.hosts) sql.add('s.host_id IN (SELECT id FROM hosts WHERE name = ANY(?))', filter.hosts);
  if (filter.from !== undefined) sql.add('s.ts >= ?', filter.from);
  if (filter.to !== undefined) sql.add('s.ts < ?', filter.to);
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

async function sample(client: ClientBase, host: string, time: number): Promise<ResourceSample | undefined> {
  return (await sampleRows(client, new Sql().add('h.name = ?', host).add('s.ts = ?', time)))[0];
}

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

/** Summed here by PostgreSQL (plain addition: sums of many samples may differ from SQLite's in the last bits). */
export async function hostBuckets(client: ClientBase, from: number, to: number, bucketMs: number): Promise<HostBuckets[]> {
  const rows = await all<{ host: string; bucket: number; samples: number; cpu: number; memory: number; disk_samples: number; disk: number | null }>(
    client,
    `SELECT h.name AS host, s.ts - s.ts % ? AS bucket, count(*) AS samples, sum(${SAMPLE_MEASURE_SQL.cpuPercent}) AS cpu, sum(${ANALYSIS_MEMORY_SQL}) AS memory,
       count(${SAMPLE_MEASURE_SQL.diskUsedPercent})::int AS disk_samples, sum(${SAMPLE_MEASURE_SQL.diskUsedPercent}) AS disk
     FROM resource_samples s JOIN hosts h ON h.id = s.host_id WHERE s.ts >= ? AND s.ts < ?
     GROUP BY h.name, bucket ORDER BY h.name COLLATE "C", bucket`,
    [bucketMs, from, to],
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
    const rows = await all<{ name: string }>(
      client,
      `SELECT DISTINCT n.name COLLATE "C" AS name FROM step_names n WHERE n.id IN (
         SELECT s.name_id FROM steps s WHERE s.execution_id IN (
           SELECT id FROM executions WHERE workflow_id IN (SELECT id FROM workflows WHERE name = ANY(?)) ORDER BY started_at DESC LIMIT 500))
       ORDER BY 1`,
      [workflows],
    );
    return rows.map((r) => r.name);
  }
  const table = { workflows: 'workflows', steps: 'step_names', hosts: 'hosts', robots: 'robots', versions: 'versions' }[kind];
  return (await all<{ name: string }>(client, `SELECT name FROM ${table} ORDER BY name COLLATE "C"`)).map((r) => r.name);
}

/** Anomalies and incidents active at some time in [from, to), by status and severity. */
function activeBetween(filter: IncidentFilter): Sql {
  const sql = new Sql();
  if (filter.status) sql.add('status = ?', filter.status);
  if (filter.to !== undefined) sql.add('started_at < ?', filter.to);
  if (filter.from !== undefined) sql.add("(status = 'open' OR last_seen_at >= ?)", filter.from);
  if (filter.minSeverity !== undefined) sql.add('severity >= ?', filter.minSeverity);
  return sql;
}

async function bodies<T>(client: ClientBase, table: string, sql: Sql, order: string, limit?: number): Promise<T[]> {
  const rows = await all<{ body: string }>(client, `SELECT body FROM ${table} ${sql.clause()} ORDER BY ${order}${limit ? ' LIMIT ?' : ''}`, [
    ...sql.params,
    ...(limit ? [limit] : []),
  ]);
  return rows.map((r) => JSON.parse(r.body) as T);
}

export function listAnomalies(client: ClientBase, filter: AnomalyFilter): Promise<Anomaly[]> {
  const sql = activeBetween(filter);
  if (filter.workflows) sql.add('workflow = ANY(?)', filter.workflows);
  if (filter.hosts) sql.add('host = ANY(?)', filter.hosts);
  if (filter.seriesKeys) sql.add('series_key = ANY(?)', filter.seriesKeys);
  if (filter.metrics) sql.add('metric = ANY(?)', filter.metrics);
  return bodies<Anomaly>(client, 'anomalies', sql, 'started_at DESC', filter.limit);
}

export async function getAnomaly(client: ClientBase, id: string): Promise<Anomaly | undefined> {
  return (await bodies<Anomaly>(client, 'anomalies', new Sql().add('id = ?', id), 'id'))[0];
}

export function listIncidents(client: ClientBase, filter: IncidentFilter): Promise<Incident[]> {
  return bodies<Incident>(client, 'incidents', activeBetween(filter), 'started_at DESC', filter.limit);
}

export function listInsights(client: ClientBase, filter: InsightFilter): Promise<Insight[]> {
  const sql = new Sql();
  if (filter.status) sql.add('status = ?', filter.status);
  if (filter.workflows) sql.add('workflow = ANY(?)', filter.workflows);
  if (filter.categories) sql.add('category = ANY(?)', filter.categories);
  return bodies<Insight>(client, 'insights', sql, 'priority DESC, id COLLATE "C"', filter.limit);
}

export async function getInsight(client: ClientBase, id: string): Promise<Insight | undefined> {
  return (await bodies<Insight>(client, 'insights', new Sql().add('id = ?', id), 'id'))[0];
}

/** A writing transaction: under the lock every collector's writes take, so the change log's order is commit order. */
async function writing(client: ClientBase, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [INGEST_LOCK.toString()]);
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function appendChange(client: ClientBase, column: 'anomalies' | 'insights', ids: readonly string[]): Promise<void> {
  if (ids.length) await client.query(`INSERT INTO changes (at, ${column}) VALUES ($1, $2)`, [Date.now(), JSON.stringify(ids)]);
}

export function saveInsights(client: ClientBase, insights: readonly Insight[]): Promise<void> {
  return writing(client, async () => {
    for (const i of insights) {
      await client.query(
        `INSERT INTO insights (id, key, category, workflow, status, priority, last_seen_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority, last_seen_at = excluded.last_seen_at, body = excluded.body`,
        [i.id, i.key, i.category, i.workflow ?? null, i.status, i.priorityScore, i.lastSeenAt, JSON.stringify(i)],
      );
    }
    await appendChange(
      client,
      'insights',
      insights.map((i) => i.id),
    );
  });
}

export function commitAnalysis(client: ClientBase, commit: AnalysisCommit): Promise<void> {
  return writing(client, async () => {
    if (commit.removedAnomalies?.length) await client.query('DELETE FROM anomalies WHERE id = ANY($1::text[])', [commit.removedAnomalies]);
    if (commit.removedIncidents?.length) await client.query('DELETE FROM incidents WHERE id = ANY($1::text[])', [commit.removedIncidents]);
    for (const a of commit.anomalies) {
      await client.query(
        `INSERT INTO anomalies (id, series_key, metric, workflow, host, status, started_at, last_seen_at, severity, incident_id, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, last_seen_at = excluded.last_seen_at, severity = excluded.severity, incident_id = excluded.incident_id, body = excluded.body`,
        [
          a.id,
          a.seriesKey,
          a.metric,
          a.workflow ?? null,
          a.host ?? null,
          a.status,
          a.startedAt,
          a.lastSeenAt,
          a.severity,
          a.incidentId ?? null,
          JSON.stringify(a),
        ],
      );
    }
    for (const i of commit.incidents) {
      await client.query(
        `INSERT INTO incidents (id, status, started_at, last_seen_at, severity, body) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, severity = excluded.severity, body = excluded.body`,
        [i.id, i.status, i.startedAt, i.lastSeenAt, i.severity, JSON.stringify(i)],
      );
    }
    const states = [...commit.detectorStates];
    if (states.length) {
      await client.query(
        'INSERT INTO detector_states (series_key, state) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (series_key) DO UPDATE SET state = excluded.state',
        [states.map(([k]) => k), states.map(([, v]) => stateJson(v))],
      );
    }
    for (const [name, value] of Object.entries(commit.values)) {
      await client.query('INSERT INTO analysis_values (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
    }
    await appendChange(
      client,
      'anomalies',
      commit.anomalies.map((a) => a.id),
    );
  });
}

export async function loadDetectorStates(client: ClientBase): Promise<Array<[string, unknown]>> {
  const rows = await all<{ series_key: string; state: string }>(client, 'SELECT series_key, state FROM detector_states');
  return rows.map((r) => [r.series_key, JSON.parse(r.state) as unknown]);
}

export async function workflowArrivals(client: ClientBase): Promise<Array<{ workflow: string; arrivedAt: number }>> {
  const rows = await all<{ workflow: string; arrived_at: string }>(
    client,
    'SELECT name AS workflow, arrived_at FROM workflows WHERE arrived_at IS NOT NULL ORDER BY name COLLATE "C"',
  );
  return rows.map((r) => ({ workflow: r.workflow, arrivedAt: Number(r.arrived_at) }));
}

export async function analysisValue(client: ClientBase, name: string): Promise<string | undefined> {
  return (await all<{ value: string }>(client, 'SELECT value FROM analysis_values WHERE name = ?', [name]))[0]?.value;
}

export async function keepSpans(
  client: ClientBase,
  spans: readonly KeptSpan[],
  receivedAt: number,
  expireBefore: number,
  maxPerTrace: number,
): Promise<KeptSpan[]> {
  const traces = [...new Set(spans.map((s) => s.traceId))].sort();
  await client.query('BEGIN');
  try {
    // Collectors sharing the database take each trace in turn (in one order: no deadlock), so the
    // second of two requests of one trace sees the first's spans, whichever is the run's.
    if (traces.length) {
      await client.query('SELECT pg_advisory_xact_lock(k) FROM (SELECT hashtextextended(t, 7) AS k FROM unnest($1::text[]) AS t ORDER BY 1) AS locks', [
        traces,
      ]);
    }
    await client.query('DELETE FROM otlp_spans WHERE received_at < $1', [expireBefore]);
    if (spans.length) {
      await client.query(
        `INSERT INTO otlp_spans (trace_id, span_id, run, received_at, body)
         SELECT t, s, r, $4, b FROM unnest($1::text[], $2::text[], $3::boolean[], $5::text[]) AS x(t, s, r, b) ON CONFLICT DO NOTHING`,
        [spans.map((s) => s.traceId), spans.map((s) => s.spanId), spans.map((s) => s.run), receivedAt, spans.map((s) => s.body)],
      );
    }
    const counts = await client.query<{ trace_id: string; n: string; runs: string }>(
      'SELECT trace_id, count(*) AS n, count(*) FILTER (WHERE run) AS runs FROM otlp_spans WHERE trace_id = ANY($1::text[]) GROUP BY trace_id',
      [traces],
    );
    const full = counts.rows.find((r) => Number(r.n) > maxPerTrace);
    if (full) throw new AppError('payload_too_large', `trace ${full.trace_id} would hold more than ${maxPerTrace} spans`);
    const withRun = counts.rows.filter((r) => Number(r.runs) > 0).map((r) => r.trace_id);
    const { rows } = await client.query<KeptSpan>(
      'SELECT trace_id AS "traceId", span_id AS "spanId", run, body FROM otlp_spans WHERE trace_id = ANY($1::text[]) ORDER BY trace_id, span_id',
      [withRun],
    );
    await client.query('COMMIT');
    return rows;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function latestChange(client: ClientBase): Promise<number> {
  // The sequence's last value (pruned rows do not take a cursor back), read under the lock every
  // writer holds until it commits: a number taken by a write still in flight would let a cursor
  // pass over that write once it commits.
  let seq = 0;
  await writing(client, async () => {
    const [row] = await all<{ seq: number }>(
      client,
      "SELECT coalesce((SELECT last_value FROM pg_sequences WHERE format('%I.%I', schemaname, sequencename) = pg_get_serial_sequence('changes', 'seq')), 0) AS seq",
    );
    seq = Number(row.seq);
  });
  return seq;
}

/** @throws AppError `gone` when the log no longer holds what followed `cursor`, or never did. */
async function checkCursor(client: ClientBase, cursor: number): Promise<number> {
  const latest = await latestChange(client);
  if (cursor > latest)
    throw new AppError('gone', `cursor ${cursor} is ahead of this collector's change feed (latest ${latest}); start again from the latest cursor`);
  const [{ oldest }] = await all<{ oldest: number | null }>(client, 'SELECT min(seq) AS oldest FROM changes');
  if (cursor > 0 && cursor < (oldest ?? latest + 1) - 1) {
    throw new AppError('gone', `cursor ${cursor} is older than the change feed keeps (oldest ${oldest ?? latest + 1}); start again from the latest cursor`);
  }
  return latest;
}

/** The runs and hosts the writes in (`after`, `through`] created or changed (`Store.arrivals`). */
export async function arrivals(client: ClientBase, after: number, through: number): Promise<Arrivals> {
  await checkCursor(client, after);
  const rows = await all<{ executions: string | null; samples: string | null; started: string | null }>(
    client,
    'SELECT executions, samples, started FROM changes WHERE seq > ? AND seq <= ? ORDER BY seq',
    [after, through],
  );
  const { runs: ids, placed, vacated, hosts } = arrivedKeys(rows);
  const runs: Arrivals['runs'] = [];
  if (ids.size > 0) {
    const found = await all<{ ext_id: string; workflow: string; robot: string | null; started_at: number; ended_at: number | null; status: number }>(
      client,
      'SELECT e.ext_id, w.name AS workflow, r.name AS robot, e.started_at, e.ended_at, e.status FROM executions e JOIN workflows w ON w.id = e.workflow_id LEFT JOIN robots r ON r.id = e.robot_id WHERE e.ext_id = ANY(?::text[])',
      [[...ids]],
    );
    for (const run of found) {
      runs.push({
        workflow: run.workflow,
        ...(run.robot === null ? {} : { robot: run.robot }),
        startedAt: Number(run.started_at),
        ...(run.ended_at === null ? {} : { endedAt: Number(run.ended_at) }),
        status: executionStatusCodec.decode(run.status),
        placed: placed.has(run.ext_id),
      });
    }
  }
  return { runs, vacated, hosts };
}

export async function pruneChanges(client: ClientBase, before: number): Promise<number> {
  return (await client.query('DELETE FROM changes WHERE at < $1', [before])).rowCount ?? 0;
}

/**
 * What changed after `cursor` (as SQLite's change log reads it).
 * @throws AppError `gone` when the cursor is ahead of the feed or older than the log keeps.
 */
export async function changes(client: ClientBase, cursor: number, limit: number): Promise<ChangeSet> {
  const latest = await checkCursor(client, cursor);
  const rows = await all<{ seq: number; executions: string | null; samples: string | null; anomalies: string | null; insights: string | null }>(
    client,
    'SELECT seq, executions, samples, anomalies, insights FROM changes WHERE seq > ? ORDER BY seq LIMIT ?',
    [cursor, limit + 1],
  );
  const page = rows.slice(0, limit);
  const { executions, samples, anomalies, insights } = changedKeys(page);
  const present = <T>(values: Array<T | undefined>) => values.filter((v): v is T => v !== undefined);
  const loaded = async <K, T>(keys: Iterable<K>, load: (key: K) => Promise<T | undefined>) => present(await Promise.all([...keys].map(load)));
  return {
    cursor: page.length > 0 ? page[page.length - 1].seq : cursor === 0 ? latest : cursor,
    more: rows.length > limit,
    executions: await loaded(executions, (id) => getExecution(client, id)),
    samples: await loaded(samples, ([host, time]) => sample(client, host, time)),
    anomalies: await loaded(anomalies, (id) => getAnomaly(client, id)),
    insights: await loaded(insights, (id) => getInsight(client, id)),
  };
}

export async function expiredRaw(client: ClientBase, cutoff: number, limit: number): Promise<IngestBatch> {
  const executions: Execution[] = [];
  const steps: Step[] = [];
  for (const { ext_id } of await all<{ ext_id: string }>(client, 'SELECT ext_id FROM executions WHERE started_at < ? ORDER BY started_at, id LIMIT ?', [
    cutoff,
    limit,
  ])) {
    const { steps: runSteps, resources: _resources, ...execution } = (await getExecution(client, ext_id))!;
    executions.push(execution);
    steps.push(...runSteps);
  }
  return { executions, steps, samples: await listSamples(client, { to: cutoff, limit: limit * 10 }) };
}

export async function deleteRaw(client: ClientBase, batch: IngestBatch): Promise<void> {
  await client.query('BEGIN');
  try {
    const ids = batch.executions.map((e) => e.id);
    await client.query('DELETE FROM steps WHERE execution_id IN (SELECT id FROM executions WHERE ext_id = ANY($1))', [ids]);
    await client.query('DELETE FROM executions WHERE ext_id = ANY($1)', [ids]);
    // A finished run is in the rollups, which outlive the raw rows: remembered, so that restoring it does not count it again.
    const finished = batch.executions.filter((e) => e.status !== 'running');
    await client.query(
      'INSERT INTO archived_runs (ext_id, started_at) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (ext_id) DO UPDATE SET started_at = excluded.started_at, restored = false',
      [finished.map((e) => e.id), finished.map((e) => e.startedAt)],
    );
    for (const s of batch.samples)
      await client.query('DELETE FROM resource_samples WHERE host_id = (SELECT id FROM hosts WHERE name = $1) AND ts = $2', [s.host, s.time]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export async function deleteRollupsBefore(client: ClientBase, cutoff: number): Promise<number> {
  // Runs whose rollups are gone are counted nowhere: restored, they are counted again.
  await client.query('DELETE FROM archived_runs WHERE started_at < $1', [cutoff]);
  return (await client.query('DELETE FROM rollups WHERE bucket < $1', [cutoff])).rowCount ?? 0;
}
