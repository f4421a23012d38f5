import { Client, types } from 'pg';
import { AppError } from '../../domain/errors';
import type { StoreStats } from '../store';
import * as analysisReader from './analysisReader';
import * as changeLog from './changeLog';
import * as executionReader from './executionReader';
import * as resultsRepository from './resultsRepository';
import * as retention from './retention';
import * as spanKeeper from './spanKeeper';
import { ingestBatch } from './batchWriter';
import { migratePostgres } from './schema';

const INT8 = 20;
/** Epoch milliseconds and ids are `bigint` columns, well inside a double's exact range: read them as numbers. */
const numbersForInt8 = {
  getTypeParser: ((oid: number, format?: string) => (oid === INT8 ? Number : types.getTypeParser(oid, format as 'text'))) as typeof types.getTypeParser,
};

const DICTIONARIES = new Set(['workflows', 'robots', 'hosts', 'versions', 'step_names', 'error_messages']);

/** The advisory lock whose holder runs the analysis passes for every collector on the database. */
export const ANALYSIS_LEADER_LOCK = 0x7270612d616e61n; // 'rpa-ana'

/** SQLSTATEs and socket errors that mean the session is gone, not that the statement failed. */
const CONNECTION_LOST = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Whether `error` says the connection to PostgreSQL is gone (the server stopped or restarted, this
 * backend was terminated, the network dropped: SQLSTATE class 08 and 57P01-57P03), so the
 * statement may succeed on a new connection.
 */
export function isConnectionLoss(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (code.startsWith('08') || CONNECTION_LOST.has(code))) return true;
  return (
    typeof message === 'string' &&
    /Connection terminated|connection is closed|Client has encountered a connection error|Client was closed and is not queryable|Query read timeout|timeout expired/i.test(
      message,
    )
  );
}

/**
 * The worker-side half of a collector's connection to PostgreSQL (see `SyncBridge`): one
 * session, so a session-level advisory lock it takes lasts as long as the collector's process
 * and ends with it, however it ends (PostgreSQL drops it when the connection goes). A lost
 * session (the server restarted, the backend was terminated) fails the call in flight with
 * `unavailable` (503: nothing it was writing was committed) and the next call opens another;
 * the analysis lead went with the old session and is taken again when free.
 */
export async function createHandler(options: { url: string }) {
  let current: Client | undefined;
  let opening: Promise<Client> | undefined;
  let leading = false;
  /** Sessions opened so far: a new one may have missed passes another collector ran meanwhile. */
  let sessions = 0;
  /** What to tell the caller with the next answer: a session lost, or opened again. */
  const notices: string[] = [];
  const lost = (error: unknown) => notices.push(`database connection lost (${(error as Error).message}); the next request connects again`);
  const open = async (): Promise<Client> => {
    // A server that stops answering (a partition, a hung host) must fail a call, not hold it: the
    // collector's thread waits on each call (SyncBridge, 30 s), so connects and queries give up
    // before that, and TCP keepalives find a dead peer.
    const client = new Client({
      connectionString: options.url,
      application_name: 'rpa-analytics collector',
      types: numbersForInt8,
      connectionTimeoutMillis: 10_000,
      query_timeout: 25_000,
      keepAlive: true,
    });
    // A session that ends between calls (a restart, a terminated backend) is an 'error' event:
    // the next call opens another.
    client.on('error', (error) => {
      if (current !== client) return;
      current = undefined;
      lost(error);
    });
    try {
      await client.connect();
    } catch (error) {
      void client.end().catch(() => undefined);
      throw error;
    }
    current = client;
    leading = false;
    if (++sessions > 1) notices.push(`database connected again (session ${sessions})`);
    return client;
  };
  const connected = (): Promise<Client> => {
    if (current) return Promise.resolve(current);
    opening ??= open().finally(() => (opening = undefined));
    return opening;
  };
  const unavailable = (error: unknown) => new AppError('unavailable', `the database connection was lost (${(error as Error).message}); retry shortly`);
  /** Runs `work` on the session, opening one if there is none; a lost connection is `unavailable`. */
  const withClient = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    let client: Client;
    try {
      client = await connected();
    } catch (error) {
      throw isConnectionLoss(error) ? unavailable(error) : error;
    }
    try {
      return await work(client);
    } catch (error) {
      if (!isConnectionLoss(error)) throw error;
      if (current === client) {
        current = undefined;
        lost(error);
        void client.end().catch(() => undefined);
      }
      throw unavailable(error);
    }
  };
  /** A function of the client (a read of `executionReader`, `analysisReader`, ..., an ingest) run on the session: its arguments after the client's. */
  const onSession =
    <A extends unknown[], R>(fn: (client: Client, ...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      withClient((client) => fn(client, ...args));
  // At start the database must answer: a collector that cannot reach it says so and stops.
  await open();
  return {
    migrate: onSession(migratePostgres),
    query: (sql: string, params: unknown[] = []): Promise<unknown[]> => withClient(async (client) => (await client.query(sql, params)).rows),
    /** True while this collector holds the analysis lead: taken when free, kept until the session ends. */
    tryLead: (): Promise<boolean> =>
      withClient(async (client) => {
        if (!leading) {
          const { rows } = await client.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1) AS held', [ANALYSIS_LEADER_LOCK.toString()]);
          leading = rows[0].held;
        }
        return leading;
      }),
    /** How many sessions it has opened: the analysis reloads its state when its lead comes with a new one. */
    session: async (): Promise<number> => sessions,
    /** What happened to the connection since the last answer, for the caller's log (the bridge asks after each call). */
    takeNotices: (): string[] => notices.splice(0),
    ingest: onSession(ingestBatch),
    stats: (): Promise<StoreStats> =>
      withClient(async (client) => {
        const { rows } = await client.query<{
          executions: number;
          steps: number;
          samples: number;
          last_execution: number | null;
          last_sample: number | null;
          size: number;
        }>(
          `SELECT (SELECT count(*) FROM executions) AS executions, (SELECT count(*) FROM steps) AS steps, (SELECT count(*) FROM resource_samples) AS samples,
           (SELECT max(started_at) FROM executions) AS last_execution, (SELECT max(ts) FROM resource_samples) AS last_sample, pg_database_size(current_database()) AS size`,
        );
        const r = rows[0];
        return {
          executions: r.executions,
          steps: r.steps,
          samples: r.samples,
          lastExecutionAt: r.last_execution ?? undefined,
          lastSampleAt: r.last_sample ?? undefined,
          sizeBytes: r.size,
        };
      }),
    /** Packed rollup rows, as `RollupSource.rows` asks for them. */
    rollupRows: (kind: number, resolution: number, groups: number[] | 'workflows', from: number, to: number): Promise<Array<[number, number, Uint8Array]>> =>
      withClient(async (client) => {
        const { rows } = await client.query<{ grp: number; bucket: number; entries: Buffer }>(
          `SELECT grp, bucket, entries FROM rollups WHERE kind = $1 AND resolution = $2 AND grp = ANY(${groups === 'workflows' ? 'ARRAY(SELECT id FROM workflows)' : '$5::int[]'}) AND bucket >= $3 AND bucket < $4`,
          groups === 'workflows' ? [kind, resolution, from, to] : [kind, resolution, from, to, groups],
        );
        return rows.map((r): [number, number, Uint8Array] => [r.grp, r.bucket, r.entries]);
      }),
    /** A dictionary's id of a name, or its name of an id (undefined when there is none). */
    dictionary: (table: string, by: 'id' | 'name', value: string | number): Promise<string | number | undefined> => {
      if (!DICTIONARIES.has(table)) return Promise.reject(new Error(`not a dictionary: ${table}`));
      return withClient(async (client) => {
        const { rows } = await client.query<{ id: number; name: string }>(`SELECT id, name FROM ${table} WHERE ${by === 'id' ? 'id' : 'name'} = $1`, [value]);
        return rows.length ? (by === 'id' ? rows[0].name : rows[0].id) : undefined;
      });
    },
    getExecution: onSession(executionReader.getExecution),
    listExecutions: onSession(executionReader.listExecutions),
    listSamples: onSession(executionReader.listSamples),
    sampleBuckets: onSession(executionReader.sampleBuckets),
    runs: onSession(analysisReader.runs),
    stepsOfRuns: onSession(analysisReader.stepsOfRuns),
    runOutlines: onSession(analysisReader.runOutlines),
    hourlyStarts: onSession(analysisReader.hourlyStarts),
    runEnds: onSession(analysisReader.runEnds),
    hostBuckets: onSession(analysisReader.hostBuckets),
    runsWithHostCpu: onSession(analysisReader.runsWithHostCpu),
    robotBusyTime: onSession(analysisReader.robotBusyTime),
    versionChanges: onSession(analysisReader.versionChanges),
    names: onSession(analysisReader.names),
    listAnomalies: onSession(resultsRepository.listAnomalies),
    getAnomaly: onSession(resultsRepository.getAnomaly),
    listIncidents: onSession(resultsRepository.listIncidents),
    listInsights: onSession(resultsRepository.listInsights),
    getInsight: onSession(resultsRepository.getInsight),
    saveInsights: onSession(resultsRepository.saveInsights),
    loadDetectorStates: onSession(resultsRepository.loadDetectorStates),
    analysisValue: onSession(resultsRepository.analysisValue),
    keepSpans: onSession(spanKeeper.keepSpans),
    workflowArrivals: onSession(resultsRepository.workflowArrivals),
    commitAnalysis: onSession(resultsRepository.commitAnalysis),
    changes: onSession(changeLog.changes),
    latestChange: onSession(changeLog.latestChange),
    arrivals: onSession(changeLog.arrivals),
    pruneChanges: onSession(changeLog.pruneChanges),
    expiredRaw: onSession(retention.expiredRaw),
    deleteRaw: onSession(retention.deleteRaw),
    deleteRollupsBefore: onSession(retention.deleteRollupsBefore),
    ping: (): Promise<void> => withClient(async (client) => void (await client.query('SELECT 1'))),
    async close(): Promise<void> {
      await current?.end();
    },
  };
}
