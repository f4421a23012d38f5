import { Client, types } from 'pg';
import type { Insight } from '../../domain/analysis';
import type { IngestBatch } from '../../domain/types';
import type { AnalysisCommit, AnomalyFilter, ExecutionPageRequest, IncidentFilter, InsightFilter, NameKind, RunFilter, SampleFilter, SampleMeasure, StoreStats } from '../store';
import * as reads from './pgReads';
import { ingestBatch } from './pgIngest';
import { migratePostgres } from './schema';

const INT8 = 20;
/** Epoch milliseconds and ids are `bigint` columns, well inside a double's exact range: read them as numbers. */
const numbersForInt8 = { getTypeParser: ((oid: number, format?: string) => (oid === INT8 ? Number : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser };

const DICTIONARIES = new Set(['workflows', 'robots', 'hosts', 'versions', 'step_names', 'error_messages']);

/** The advisory lock whose holder runs the analysis passes for every collector on the database. */
export const ANALYSIS_LEADER_LOCK = 0x7270612d616e61n; // 'rpa-ana'

/**
 * The worker-side half of a collector's connection to PostgreSQL (see `SyncBridge`): one
 * session, so a session-level advisory lock it takes lasts as long as the collector's process
 * and ends with it, however it ends (PostgreSQL drops it when the connection goes).
 */
export async function createHandler(options: { url: string }) {
  const client = new Client({ connectionString: options.url, application_name: 'rpa-analytics collector', types: numbersForInt8 });
  await client.connect();
  let leading = false;
  return {
    async migrate(): Promise<number[]> {
      return migratePostgres(client);
    },
    async query(sql: string, params: unknown[] = []): Promise<unknown[]> {
      return (await client.query(sql, params)).rows;
    },
    /** True while this collector holds the analysis lead: taken when free, kept until the session ends. */
    async tryLead(): Promise<boolean> {
      if (!leading) {
        const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [ANALYSIS_LEADER_LOCK.toString()]);
        leading = rows[0].held;
      }
      return leading;
    },
    ingest(batch: IngestBatch) {
      return ingestBatch(client, batch);
    },
    async stats(): Promise<StoreStats> {
      const { rows } = await client.query<{ executions: number; steps: number; samples: number; last_execution: number | null; last_sample: number | null; size: number }>(
        `SELECT (SELECT count(*) FROM executions) AS executions, (SELECT count(*) FROM steps) AS steps, (SELECT count(*) FROM resource_samples) AS samples,
           (SELECT max(started_at) FROM executions) AS last_execution, (SELECT max(ts) FROM resource_samples) AS last_sample, pg_database_size(current_database()) AS size`,
      );
      const r = rows[0];
      return { executions: r.executions, steps: r.steps, samples: r.samples, lastExecutionAt: r.last_execution ?? undefined, lastSampleAt: r.last_sample ?? undefined, sizeBytes: r.size };
    },
    /** Packed rollup rows, as `RollupSource.rows` asks for them. */
    async rollupRows(kind: number, resolution: number, groups: number[] | 'workflows', from: number, to: number): Promise<Array<[number, number, Uint8Array]>> {
      const { rows } = await client.query<{ grp: number; bucket: number; entries: Buffer }>(
        `SELECT grp, bucket, entries FROM rollups WHERE kind = $1 AND resolution = $2 AND grp = ANY(${groups === 'workflows' ? 'ARRAY(SELECT id FROM workflows)' : '$5::int[]'}) AND bucket >= $3 AND bucket < $4`,
        groups === 'workflows' ? [kind, resolution, from, to] : [kind, resolution, from, to, groups],
      );
      return rows.map((r) => [r.grp, r.bucket, r.entries]);
    },
    /** A dictionary's id of a name, or its name of an id (undefined when there is none). */
    async dictionary(table: string, by: 'id' | 'name', value: string | number): Promise<string | number | undefined> {
      if (!DICTIONARIES.has(table)) throw new Error(`not a dictionary: ${table}`);
      const { rows } = await client.query<{ id: number; name: string }>(`SELECT id, name FROM ${table} WHERE ${by === 'id' ? 'id' : 'name'} = $1`, [value]);
      return rows.length ? (by === 'id' ? rows[0].name : rows[0].id) : undefined;
    },
    getExecution: (id: string) => reads.getExecution(client, id),
    listExecutions: (request: ExecutionPageRequest) => reads.listExecutions(client, request),
    listSamples: (filter: SampleFilter) => reads.listSamples(client, filter),
    sampleBuckets: (filter: SampleFilter, measure: SampleMeasure, bucketMs: number) => reads.sampleBuckets(client, filter, measure, bucketMs),
    runs: (filter: RunFilter) => reads.runs(client, filter),
    stepsOfRuns: (filter: RunFilter) => reads.stepsOfRuns(client, filter),
    runOutlines: (filter: RunFilter) => reads.runOutlines(client, filter),
    hourlyStarts: (from: number, to: number) => reads.hourlyStarts(client, from, to),
    hostBuckets: (from: number, to: number, bucketMs: number) => reads.hostBuckets(client, from, to, bucketMs),
    runsWithHostCpu: (filter: RunFilter) => reads.runsWithHostCpu(client, filter),
    robotBusyTime: (from: number, to: number) => reads.robotBusyTime(client, from, to),
    versionChanges: (filter: { workflows?: string[]; from?: number; to?: number }) => reads.versionChanges(client, filter),
    names: (kind: NameKind, workflows?: string[]) => reads.names(client, kind, workflows),
    listAnomalies: (filter: AnomalyFilter) => reads.listAnomalies(client, filter),
    getAnomaly: (id: string) => reads.getAnomaly(client, id),
    listIncidents: (filter: IncidentFilter) => reads.listIncidents(client, filter),
    listInsights: (filter: InsightFilter) => reads.listInsights(client, filter),
    getInsight: (id: string) => reads.getInsight(client, id),
    saveInsights: (insights: Insight[]) => reads.saveInsights(client, insights),
    loadDetectorStates: () => reads.loadDetectorStates(client),
    analysisValue: (name: string) => reads.analysisValue(client, name),
    commitAnalysis: (commit: AnalysisCommit) => reads.commitAnalysis(client, commit),
    changes: (cursor: number, limit: number) => reads.changes(client, cursor, limit),
    latestChange: () => reads.latestChange(client),
    arrivals: (after: number, through: number) => reads.arrivals(client, after, through),
    pruneChanges: (before: number) => reads.pruneChanges(client, before),
    expiredRaw: (cutoff: number, limit: number) => reads.expiredRaw(client, cutoff, limit),
    deleteRaw: (batch: IngestBatch) => reads.deleteRaw(client, batch),
    deleteRollupsBefore: (cutoff: number) => reads.deleteRollupsBefore(client, cutoff),
    async ping(): Promise<void> {
      await client.query('SELECT 1');
    },
    async close(): Promise<void> {
      await client.end();
    },
  };
}
