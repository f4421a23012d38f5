import { Client, types } from 'pg';
import type { ExecutionDetail, IngestBatch, Step } from '../../domain/types';
import type { StoreStats } from '../store';
import { stepStatusCodec } from '../sqlite/codes';
import { type ExecutionRow, toExecution } from '../sqlite/executionReader';
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
    async getExecution(id: string): Promise<ExecutionDetail | undefined> {
      const { rows } = await client.query<ExecutionRow>(
        `SELECT e.id, e.ext_id, w.name AS workflow, r.name AS robot, h.name AS host, v.name AS version, e.host_id,
           e.started_at, e.ended_at, e.duration_ms, e.status, e.error_type, m.name AS error_message,
           e.steps_total, e.steps_completed, e.tags::text AS tags
         FROM executions e JOIN workflows w ON w.id = e.workflow_id LEFT JOIN robots r ON r.id = e.robot_id
           LEFT JOIN hosts h ON h.id = e.host_id LEFT JOIN versions v ON v.id = e.version_id LEFT JOIN error_messages m ON m.id = e.error_id
         WHERE e.ext_id = $1`,
        [id],
      );
      if (rows.length === 0) return undefined;
      const stepRows = await client.query<{ idx: number; name: string; started_at: number; duration_ms: number; status: number; error: string | null }>(
        `SELECT s.idx, n.name, s.started_at, s.duration_ms, s.status, m.name AS error FROM steps s JOIN step_names n ON n.id = s.name_id
         LEFT JOIN error_messages m ON m.id = s.error_id WHERE s.execution_id = $1 ORDER BY s.idx`,
        [rows[0].id],
      );
      const steps = stepRows.rows.map((r) => {
        const step: Step = { executionId: id, index: r.idx, name: r.name, startedAt: r.started_at, durationMs: r.duration_ms, status: stepStatusCodec.decode(r.status) };
        if (r.error !== null) step.error = r.error;
        return step;
      });
      return { ...toExecution(rows[0]), steps };
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
    async close(): Promise<void> {
      await client.end();
    },
  };
}
