import type Database from 'better-sqlite3';
import type { ExecutionDetail, ExecutionResourceUsage, ResourceSample, Step } from '@rpa-analytics/contract';
import type { ExecutionPage, ExecutionPageRequest, SampleBucket, SampleFilter, SampleMeasure } from '../store';
import { SAMPLE_BUCKETS_SELECT, SAMPLE_MEASURE_SQL } from '../sampleMeasures';
import { readSampleRollups, SAMPLE_ROLLUP_RESOLUTIONS, type SampleBucketRow, sampleBucketsOf } from './sampleRollups';
import { afterCursor, sampleConditions, type SqlConditions } from '../conditions';
import { runConditions, sqliteConditions } from './runConditions';
import { stepStatusCodec } from '../codes';
import { decodeCursor, encodeCursor, EXECUTION_COLUMNS, type ExecutionRow, toExecution, toSample } from '../rows';
import type { Dictionaries } from './dictionaries';
import type { Dictionary } from './dictionary';
import { decodeSteps } from './stepBlob';

/** A run's steps from its packed blob, by index, with their names. */
export function stepsOfRun(blob: Uint8Array, executionId: string, dictionaries: Dictionaries, into: Step[] = []): Step[] {
  const { stepNames, errorMessages } = dictionaries;
  decodeSteps(blob, (index, nameId, startedAt, durationMs, status, errorId) => {
    const step: Step = { executionId, index, name: stepNames.nameOf(nameId), startedAt, durationMs, status: stepStatusCodec.decode(status) };
    if (errorId !== null) step.error = errorMessages.nameOf(errorId);
    into.push(step);
  });
  return into;
}

/** Reads executions, steps and samples back; every value reaches SQL as a bound parameter. */
/** A sample row as `sampleRows` selects it. */
type SampleRow = [
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  string | null,
];

export class ExecutionReader {
  private readonly byExtId: Database.Statement<[string], ExecutionRow>;
  private readonly stepsOf: Database.Statement<[number], Buffer>;
  private readonly usageOf: Database.Statement<[number, number, number], Record<string, number | null>>;

  constructor(
    private readonly db: Database.Database,
    private readonly dictionaries: Dictionaries,
  ) {
    this.byExtId = db.prepare(`SELECT ${EXECUTION_COLUMNS} WHERE e.ext_id = ?`);
    this.stepsOf = db.prepare('SELECT steps FROM run_steps WHERE execution_id = ?').pluck() as Database.Statement<[number], Buffer>;
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
      const after = afterCursor(decodeCursor(request.cursor));
      where.push(...after.where);
      params.push(...after.params);
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
    const blob = this.stepsOf.get(row.id);
    const steps = blob ? stepsOfRun(blob, row.ext_id, this.dictionaries) : [];
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
    const conditions = this.sampleConditions(filter);
    return conditions ? this.sampleRows(conditions.where, conditions.params, filter.limit) : [];
  }

  /**
   * Whole hours (or minutes) of the range from the sample rollups when they divide the bucket, the
   * range's ragged edges summed from the samples: items of a bucket may be several (callers add).
   */
  sampleBuckets(filter: Omit<SampleFilter, 'limit'>, measure: SampleMeasure, bucketMs: number): SampleBucket[] {
    const { from, to } = filter;
    const { hour, minute } = SAMPLE_ROLLUP_RESOLUTIONS;
    const resolution = bucketMs % hour === 0 ? hour : bucketMs % minute === 0 ? minute : undefined;
    const inner =
      resolution && from !== undefined && to !== undefined
        ? { from: Math.ceil(from / resolution) * resolution, to: Math.floor(to / resolution) * resolution }
        : undefined;
    if (!resolution || !inner || inner.to <= inner.from) return this.summedSamples(filter, measure, bucketMs);
    const hostIds = filter.hosts ? this.idsOf(this.dictionaries.hosts, filter.hosts) : undefined;
    if (hostIds?.length === 0) return [];
    const edges = [
      { from, to: inner.from },
      { from: inner.to, to },
    ].filter((edge) => edge.to! > edge.from!);
    return [
      ...readSampleRollups(this.db, this.dictionaries, { hostIds, ...inner, resolution, measure }),
      ...edges.flatMap((edge) => this.summedSamples({ ...filter, ...edge }, measure, bucketMs)),
    ];
  }

  /** The samples in the filter's range summed per host, workflow and bucket by SQLite. */
  private summedSamples(filter: Omit<SampleFilter, 'limit'>, measure: SampleMeasure, bucketMs: number): SampleBucket[] {
    const conditions = this.sampleConditions(filter);
    if (!conditions) return [];
    const { where, params } = conditions;
    const rows = this.db
      .prepare(
        `${SAMPLE_BUCKETS_SELECT} FROM (
           SELECT s.host_id, s.workflow_id, s.ts - s.ts % ? AS b, ${SAMPLE_MEASURE_SQL[measure]} AS v
           FROM resource_samples s ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ) WHERE v IS NOT NULL GROUP BY host_id, workflow_id, b`,
      )
      .raw()
      .all(bucketMs, ...params) as SampleBucketRow[];
    return sampleBucketsOf(rows, this.dictionaries);
  }

  /** The filter as conditions on `resource_samples s`; undefined when no host it names exists. */
  private sampleConditions(filter: Omit<SampleFilter, 'limit'>): SqlConditions | undefined {
    return sampleConditions(sqliteConditions(this.dictionaries), filter) ?? undefined;
  }

  private sampleRows(where: string[], params: unknown[], limit?: number): ResourceSample[] {
    const rows = this.db
      .prepare(
        `SELECT h.name, s.ts, s.cpu_percent, s.memory_used, s.memory_total, s.disk_read, s.disk_write, s.net_rx, s.net_tx,
           s.gpu_percent, s.gpu_memory_used, s.disk_used, s.disk_total, s.workflow_id, s.execution_ext_id
         FROM resource_samples s JOIN hosts h ON h.id = s.host_id
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.ts, h.name${limit ? ' LIMIT ?' : ''}`,
      )
      .raw()
      .all(...params, ...(limit ? [limit] : [])) as SampleRow[];
    // Rows as arrays, workflow names from the dictionary's cache: the analysis reads months of samples.
    return rows.map(
      ([
        host,
        ts,
        cpu_percent,
        memory_used,
        memory_total,
        disk_read,
        disk_write,
        net_rx,
        net_tx,
        gpu_percent,
        gpu_memory_used,
        disk_used,
        disk_total,
        workflowId,
        execution_ext_id,
      ]) =>
        toSample({
          host,
          ts,
          cpu_percent,
          memory_used,
          memory_total,
          disk_read,
          disk_write,
          net_rx,
          net_tx,
          gpu_percent,
          gpu_memory_used,
          disk_used,
          disk_total,
          execution_ext_id,
          workflow: workflowId === null ? null : this.dictionaries.workflows.nameOf(workflowId),
        }),
    );
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
