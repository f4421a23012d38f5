import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { type PostgresCluster, startPostgres } from '../../testing/postgresCluster';
import { contractRun, contractSteps, hourRuns, hourSteps, storeContract } from '../../testing/storeContract';
import { SqliteStore } from '../sqlite/sqliteStore';
import { ANALYSIS_LEADER_LOCK } from './pgHandler';
import { PgStore } from './pgStore';
import { migratePostgres, PG_SCHEMA_VERSION } from './schema';
import { SyncBridge } from './syncBridge';

/** Against a real PostgreSQL (Debian's `postgresql`), a throwaway cluster on 127.0.0.1 owned by this run. */
describe('PostgreSQL groundwork', () => {
  let pg: PostgresCluster;
  const clients: Client[] = [];
  const connect = async () => {
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    pg?.stop();
  });

  it('when six collectors start at once on an empty database, then the schema is migrated exactly once and all of them go on', async () => {
    const starting = await Promise.all(Array.from({ length: 6 }, connect));
    const applied = await Promise.all(starting.map((c) => migratePostgres(c)));
    expect(applied.filter((a) => a.length > 0)).toEqual([[PG_SCHEMA_VERSION]]);
    const { rows } = await starting[0].query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([PG_SCHEMA_VERSION]);
    expect(await migratePostgres(starting[0])).toEqual([]);
    const tables = await starting[0].query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('executions', 'steps', 'rollups', 'changes')");
    expect(tables.rows[0].n).toBe(4);
  });

  it('when the database was migrated by a newer collector, then starting fails with a clear message', async () => {
    const client = await connect();
    await client.query("INSERT INTO schema_migrations (version, description) VALUES (999, 'from the future')");
    try {
      await expect(migratePostgres(client)).rejects.toThrow(`database schema version 999 is newer than this collector supports (${PG_SCHEMA_VERSION}); upgrade the collector`);
    } finally {
      await client.query('DELETE FROM schema_migrations WHERE version = 999');
    }
  });

  it('when called through the synchronous bridge, then queries answer and database errors keep their SQLSTATE', async () => {
    const bridge = new SyncBridge(path.join(__dirname, 'pgHandler.ts'), { url: pg.url });
    try {
      expect(bridge.call('migrate')).toEqual([]);
      bridge.call('query', 'INSERT INTO workflows (name) VALUES ($1)', ['Invoice Processing']);
      expect(bridge.call('query', 'SELECT name FROM workflows')).toEqual([{ name: 'Invoice Processing' }]);
      expect(() => bridge.call('query', 'INSERT INTO workflows (name) VALUES ($1)', ['Invoice Processing'])).toThrow(expect.objectContaining({ code: '23505' }));
    } finally {
      await bridge.close();
    }
  });

  it('when the collector leading the analysis is killed, then another takes the lead within a bounded time', async () => {
    // The leader: another process holding the lead through its own session, as a collector would.
    const leader = spawn(
      process.execPath,
      ['-e', `const { Client } = require('pg'); (async () => { const c = new Client({ connectionString: ${JSON.stringify(pg.url)} }); await c.connect(); const r = await c.query('SELECT pg_try_advisory_lock($1) AS held', ['${ANALYSIS_LEADER_LOCK}']); console.log(r.rows[0].held ? 'leading' : 'not leading'); setInterval(() => {}, 1000); })();`],
      { cwd: path.join(__dirname, '../../../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const said = await new Promise<string>((resolve) => leader.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    expect(said).toBe('leading');
    const follower = new SyncBridge(path.join(__dirname, 'pgHandler.ts'), { url: pg.url });
    try {
      expect(follower.call('tryLead')).toBe(false);
      const killedAt = Date.now();
      leader.kill('SIGKILL');
      let lead = false;
      while (!lead && Date.now() - killedAt < 5000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        lead = follower.call<boolean>('tryLead');
      }
      expect(lead).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(5000);
    } finally {
      leader.kill('SIGKILL');
      await follower.close();
    }
  });
});

describe('the store contract on PostgreSQL', () => {
  let pg: PostgresCluster;
  const databases: string[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    for (let i = 0; i < 12; i++) {
      await admin.query(`CREATE DATABASE contract_${i}`);
      databases.push(pg.url.replace(/\/postgres$/, `/contract_${i}`));
    }
    await admin.end();
  });
  afterAll(() => pg?.stop());

  describe('one collector', () => {
    // Each test gets a database of its own, empty.
    storeContract(() => new PgStore(databases.shift()!));
  });

  it('when two collectors share the database and batches are retried across them, then every run is stored and counted once, as one SQLite store counts them', () => {
    const url = databases.shift()!;
    const first = new PgStore(url);
    const second = new PgStore(url);
    const reference = new SqliteStore({ file: ':memory:' });
    try {
      const runs = Array.from({ length: 200 }, (_, i) => contractRun(`x-${i}`, Date.UTC(2026, 10, 2, 8) + i * 15_000, 1000 + (i % 17) * 100, { workflow: `W${i % 4}`, status: i % 9 === 0 ? 'failed' : 'completed' }));
      const batches = Array.from({ length: 20 }, (_, b) => {
        const chunk = runs.slice(b * 10, b * 10 + 10);
        return { executions: chunk, steps: chunk.flatMap((r) => contractSteps(r, [100 + (r.durationMs! % 7), 200])), samples: [] };
      });
      batches.forEach((batch, b) => {
        // Sent to one collector, then retried against the other (its answer lost on the way back).
        (b % 2 ? first : second).ingest(batch);
        (b % 2 ? second : first).ingest(batch);
        reference.ingest(batch);
      });
      expect(first.stats()).toMatchObject({ executions: 200, steps: 400 });
      const day = { from: Date.UTC(2026, 10, 2), to: Date.UTC(2026, 10, 3) };
      expect(hourRuns(first, day.from, day.to)).toEqual(hourRuns(reference, day.from, day.to));
      expect(hourRuns(second, day.from, day.to)).toEqual(hourRuns(reference, day.from, day.to));
      expect(hourSteps(second, day.from, day.to)).toEqual(hourSteps(reference, day.from, day.to));
      expect(second.getExecution('x-9')).toEqual(reference.getExecution('x-9'));
    } finally {
      first.close();
      second.close();
      reference.close();
    }
  });
});
