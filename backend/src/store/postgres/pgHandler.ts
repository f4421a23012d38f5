import { Client } from 'pg';
import { migratePostgres } from './schema';

/** The advisory lock whose holder runs the analysis passes for every collector on the database. */
export const ANALYSIS_LEADER_LOCK = 0x7270612d616e61n; // 'rpa-ana'

/**
 * The worker-side half of a collector's connection to PostgreSQL (see `SyncBridge`): one
 * session, so a session-level advisory lock it takes lasts as long as the collector's process
 * and ends with it, however it ends (PostgreSQL drops it when the connection goes).
 */
export async function createHandler(options: { url: string }) {
  const client = new Client({ connectionString: options.url, application_name: 'rpa-analytics collector' });
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
    async close(): Promise<void> {
      await client.end();
    },
  };
}
