import type Database from 'better-sqlite3';
import type { Execution, Step } from '@rpa-analytics/contract';
import { ERROR_TYPES } from '@rpa-analytics/contract';
import type { HostBuckets, HourlyStarts, NameKind, RunEnd, RunFilter, RunOutline, RunWithHostCpu } from '../store';
import { errorTypeCodec } from '../codes';
import { toExecution } from '../rows';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';
import { firstHourFrom, HOUR_OF_START, lastHourBefore, runConditions, whereClause } from './runConditions';
import { readRunOutlines } from './outlineReader';
import { PackedNumbers, packedRow } from './packedRows';
import { decodeSteps } from './stepBlob';
import { stepsOfRun } from './executionReader';
import { HostBucketReader } from './hostBucketReader';

const LEAN_RUN_COLUMNS = `e.id, e.ext_id, e.workflow_id, e.robot_id, e.host_id, e.version_id, e.started_at, e.ended_at, e.duration_ms, e.status,
  e.error_type, e.error_id, e.steps_total, e.steps_completed, e.tags`;

/** A row of `LEAN_RUN_COLUMNS`. */
type LeanRun = [
  number,
  string,
  number,
  number | null,
  number | null,
  number | null,
  number,
  number | null,
  number | null,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  string | null,
];

/** Names in SQLite's BINARY order (bytes of UTF-8), as `ORDER BY name` sorts them. */
const byName = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const nameOrNull = (dictionary: Dictionary, id: number | null) => (id === null ? null : dictionary.nameOf(id));

/** Whole-range reads for the analysis: runs, their steps, resource use and names. */
export class AnalysisReader {
  /** Prepared statements returning rows as arrays, by their SQL: a pass reads each workflow's runs several times. */
  private readonly statements = new Map<string, Database.Statement>();
  private hostBucketReader?: HostBucketReader;

  constructor(
    private readonly db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {}

  private rawStatement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      // Filters name any number of workflows or hosts: the texts are many, the cache stays small.
      if (this.statements.size >= 256) this.statements.clear();
      statement = this.db.prepare(sql).raw();
      this.statements.set(sql, statement);
    }
    return statement;
  }

  runs(filter: RunFilter): Execution[] {
    const conditions = runConditions(this.dictionaries, filter);
    if (!conditions) return [];
    const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
    // Names come from the dictionaries' caches rather than joins, and rows as arrays: a first
    // analysis pass reads months of runs at once.
    const select = `SELECT ${LEAN_RUN_COLUMNS} FROM executions e ${whereClause(conditions)}`;
    if (filter.last !== undefined) {
      const rows = this.rawStatement(`${select} ORDER BY ${column} DESC, e.id DESC LIMIT ?`).all(...conditions.params, filter.last) as LeanRun[];
      return rows.reverse().map((row) => this.toRun(row));
    }
    const runs: Execution[] = [];
    for (const row of this.rawStatement(`${select} ORDER BY ${column}, e.id`).iterate(...conditions.params) as IterableIterator<LeanRun>)
      runs.push(this.toRun(row));
    return runs;
  }

  /** In the order `runs(filter)` returns their runs, each run's steps by index. */
  stepsOfRuns(filter: RunFilter): Step[] {
    const conditions = runConditions(this.dictionaries, filter);
    if (!conditions) return [];
    const column = filter.by === 'end' ? 'e.ended_at' : 'e.started_at';
    const rows = this.rawStatement(
      `SELECT e.ext_id, s.steps FROM executions e JOIN run_steps s ON s.execution_id = e.id ${whereClause(conditions)} ORDER BY ${column}, e.id`,
    ).iterate(...conditions.params) as IterableIterator<[string, Buffer]>;
    const steps: Step[] = [];
    for (const [executionId, blob] of rows) stepsOfRun(blob, executionId, this.dictionaries, steps);
    return steps;
  }

  runOutlines(filter: RunFilter): RunOutline[] {
    return readRunOutlines((sql) => this.rawStatement(sql), this.dictionaries, filter);
  }

  hourlyStarts(from: number, to: number): HourlyStarts[] {
    // One read of the index by hour and workflow, which holds both: no lookup of each run's row,
    // grouped in its order (hour by hour), packed.
    const counts = this.db.prepare(
      `SELECT group_concat(${packedRow(['h', 'w', 'n'])}, ',') FROM (
         SELECT ${HOUR_OF_START} AS h, workflow_id AS w, count(*) AS n FROM executions
         WHERE ${HOUR_OF_START} >= ? AND ${HOUR_OF_START} <= ? AND started_at >= ? AND started_at < ? GROUP BY 1, 2)`,
    );
    const packed = new PackedNumbers(counts.pluck().get(firstHourFrom(from), lastHourBefore(to), from, to) as string | null);
    const starts: HourlyStarts[] = [];
    while (!packed.done) {
      const hour = packed.next()!;
      const workflow = this.dictionaries.workflows.nameOf(packed.next()!);
      starts.push({ workflow, hour: hour * 3600_000, runs: packed.next()! });
    }
    return starts;
  }

  runEnds(from: number, to: number): RunEnd[] {
    // Packed in one row: months of ends are hundreds of thousands of rows.
    const text = this.db
      .prepare(
        `SELECT group_concat(${packedRow(['workflow_id', 'ended_at'])}, ',') FROM (
           SELECT workflow_id, ended_at FROM executions WHERE ended_at >= ? AND ended_at < ? ORDER BY ended_at, id)`,
      )
      .pluck()
      .get(from, to) as string | null;
    const packed = new PackedNumbers(text);
    const ends: RunEnd[] = [];
    while (!packed.done) {
      const workflow = this.dictionaries.workflows.nameOf(packed.next()!);
      ends.push({ workflow, endedAt: packed.next()! });
    }
    return ends;
  }

  hostBuckets(from: number, to: number, bucketMs: number, only?: readonly string[]): HostBuckets[] {
    // Hosts asked for by name are found in the dictionary's cache: a pass asks for two at a time.
    const hosts = (
      only
        ? [...new Set(only)].flatMap((name): Array<[number, string]> => {
            const id = this.dictionaries.hosts.find(name);
            return id === undefined ? [] : [[id, name]];
          })
        : (this.db.prepare('SELECT id, name FROM hosts').raw().all() as Array<[number, string]>)
    ).sort((a, b) => byName(a[1], b[1]));
    this.hostBucketReader ??= new HostBucketReader(this.db);
    return this.hostBucketReader.read(hosts, from, to, bucketMs);
  }

  /** A lean row as `toExecution` takes it, its names from the dictionaries' caches. */
  private toRun([
    id,
    extId,
    workflowId,
    robotId,
    hostId,
    versionId,
    startedAt,
    endedAt,
    durationMs,
    status,
    errorType,
    errorId,
    stepsTotal,
    stepsCompleted,
    tags,
  ]: LeanRun): Execution {
    const d = this.dictionaries;
    return toExecution({
      id,
      ext_id: extId,
      workflow: d.workflows.nameOf(workflowId),
      robot: nameOrNull(d.robots, robotId),
      host: nameOrNull(d.hosts, hostId),
      version: nameOrNull(d.versions, versionId),
      host_id: hostId,
      started_at: startedAt,
      ended_at: endedAt,
      duration_ms: durationMs,
      status,
      error_type: errorType,
      error_message: nameOrNull(d.errorMessages, errorId),
      steps_total: stepsTotal,
      steps_completed: stepsCompleted,
      tags,
    });
  }

  runsWithHostCpu(filter: RunFilter): RunWithHostCpu[] {
    const conditions = runConditions(this.dictionaries, { ...filter, statuses: ['completed'] });
    if (!conditions) return [];
    const rows = this.rawStatement(
      `SELECT e.workflow_id, e.duration_ms, avg(r.cpu_percent)
       FROM executions e JOIN resource_samples r
         ON r.host_id = e.host_id AND r.ts >= e.started_at AND r.ts <= e.started_at + e.duration_ms
       ${whereClause(conditions)} AND e.duration_ms IS NOT NULL
       GROUP BY e.id ORDER BY e.id`,
    ).all(...conditions.params) as Array<[number, number, number]>;
    return rows.map(([workflowId, durationMs, cpuPercent]) => ({ workflow: this.dictionaries.workflows.nameOf(workflowId), durationMs, cpuPercent }));
  }

  robotBusyTime(from: number, to: number): Array<{ robot: string; busyMs: number }> {
    return this.db
      .prepare<[number, number, number, number], { robot: string; busyMs: number }>(
        `SELECT r.name AS robot,
           coalesce(sum(max(0, min(coalesce(e.ended_at, e.started_at + coalesce(e.duration_ms, 0)), ?) - max(e.started_at, ?))), 0) AS busyMs
         FROM robots r LEFT JOIN executions e ON e.robot_id = r.id AND e.started_at >= ? - 86400000 AND e.started_at < ?
         GROUP BY r.id ORDER BY r.name`,
      )
      .all(to, from, from, to);
  }

  versionChanges(filter: { workflows?: string[]; from?: number; to?: number }): Array<{ workflow: string; version: string; at: number }> {
    const conditions = runConditions(this.dictionaries, { workflows: filter.workflows });
    if (!conditions) return [];
    const rows = this.db
      .prepare<unknown[], { workflow: string; version: string; at: number }>(
        `SELECT w.name AS workflow, v.name AS version, min(e.started_at) AS at
         FROM executions e JOIN workflows w ON w.id = e.workflow_id JOIN versions v ON v.id = e.version_id
         ${whereClause(conditions)} GROUP BY e.workflow_id, e.version_id ORDER BY at`,
      )
      .all(...conditions.params);
    return rows.filter((r) => (filter.from === undefined || r.at >= filter.from) && (filter.to === undefined || r.at < filter.to));
  }

  names(kind: NameKind, workflows?: string[]): string[] {
    if (kind === 'errorTypes') {
      const codes = this.db.prepare<[], { t: number }>('SELECT DISTINCT error_type AS t FROM executions WHERE error_type IS NOT NULL').all();
      return codes.map((c) => errorTypeCodec.decode(c.t)).sort((a, b) => ERROR_TYPES.indexOf(a) - ERROR_TYPES.indexOf(b));
    }
    if (kind === 'steps' && workflows) {
      const conditions = runConditions(this.dictionaries, { workflows });
      if (!conditions) return [];
      // Step names by the workflows that ran them: a recent sample of each workflow's runs suffices.
      const blobs = this.db
        .prepare(
          `SELECT steps FROM run_steps WHERE execution_id IN (SELECT e.id FROM executions e ${whereClause(conditions)} ORDER BY e.started_at DESC LIMIT 500)`,
        )
        .pluck()
        .all(...conditions.params) as Buffer[];
      const nameIds = new Set<number>();
      for (const blob of blobs) decodeSteps(blob, (_index, nameId) => nameIds.add(nameId));
      return [...nameIds].map((id) => this.dictionaries.stepNames.nameOf(id)).sort(byName);
    }
    const table = { workflows: 'workflows', steps: 'step_names', hosts: 'hosts', robots: 'robots', versions: 'versions' }[kind];
    return this.db
      .prepare<[], { name: string }>(`SELECT name FROM ${table} ORDER BY name`)
      .all()
      .map((r) => r.name);
  }
}
