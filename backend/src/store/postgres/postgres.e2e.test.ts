import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { type PostgresCluster, startPostgres } from '../../testing/postgresCluster';
import { contractRun, contractSteps, hourRuns, hourSteps, storeContract } from '../../testing/storeContract';
import type { IngestBatch } from '@rpa-analytics/contract';
import { AnalysisScheduler } from '../../engine/analysisScheduler';
import { INCIDENT_KINDS } from '../../sim/incidents';
import { runSimulation } from '../../sim/simulator';
import type { Store } from '../store';
import { SqliteStore } from '../sqlite/sqliteStore';
import { ANALYSIS_LEADER_LOCK } from './pgHandler';
import { PgStore } from './pgStore';
import { migratePostgres, PG_MIGRATIONS, PG_SCHEMA_VERSION } from './schema';

const ALL_VERSIONS = PG_MIGRATIONS.map((m) => m.version);
import { SyncBridge } from '../../threads/syncBridge';

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
    expect(applied.filter((a) => a.length > 0)).toEqual([ALL_VERSIONS]);
    const { rows } = await starting[0].query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(ALL_VERSIONS);
    expect(await migratePostgres(starting[0])).toEqual([]);
    const tables = await starting[0].query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('executions', 'steps', 'rollups', 'changes')",
    );
    expect(tables.rows[0].n).toBe(4);
  });

  it('when the database was migrated by a newer collector, then starting fails with a clear message', async () => {
    const client = await connect();
    await client.query("INSERT INTO schema_migrations (version, description) VALUES (999, 'from the future')");
    try {
      await expect(migratePostgres(client)).rejects.toThrow(
        `database schema version 999 is newer than this collector supports (${PG_SCHEMA_VERSION}); upgrade the collector`,
      );
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
      expect(() => bridge.call('query', 'INSERT INTO workflows (name) VALUES ($1)', ['Invoice Processing'])).toThrow(
        expect.objectContaining({ code: '23505' }),
      );
    } finally {
      await bridge.close();
    }
  });

  it('when the collector leading the analysis is killed, then another takes the lead within a bounded time', async () => {
    // The leader: another process holding the lead through its own session, as a collector would.
    const leader = spawn(
      process.execPath,
      [
        '-e',
        `const { Client } = require('pg'); (async () => { const c = new Client({ connectionString: ${JSON.stringify(pg.url)} }); await c.connect(); const r = await c.query('SELECT pg_try_advisory_lock($1) AS held', ['${ANALYSIS_LEADER_LOCK}']); console.log(r.rows[0].held ? 'leading' : 'not leading'); setInterval(() => {}, 1000); })();`,
      ],
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
    // The first to open an empty database migrates it; the second finds it done.
    expect([first.migrated, second.migrated]).toEqual([ALL_VERSIONS, []]);
    const reference = new SqliteStore({ file: ':memory:' });
    try {
      const runs = Array.from({ length: 200 }, (_, i) =>
        contractRun(`x-${i}`, Date.UTC(2026, 10, 2, 8) + i * 15_000, 1000 + (i % 17) * 100, {
          workflow: `W${i % 4}`,
          status: i % 9 === 0 ? 'failed' : 'completed',
        }),
      );
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

describe('PostgreSQL answers as SQLite does', () => {
  let pg: PostgresCluster;
  let sqlite: SqliteStore;
  let postgres: PgStore;
  const END = Date.UTC(2026, 10, 20);
  const DAY = 86_400_000;

  beforeAll(async () => {
    pg = await startPostgres();
    sqlite = new SqliteStore({ file: ':memory:' });
    postgres = new PgStore(pg.url);
    // The same simulated fleet into both, batch by batch (incidents included, so analysis finds some).
    const both = { send: async (batch: IngestBatch) => [sqlite, postgres].forEach((s) => s.ingest(batch)) };
    await runSimulation({
      seed: 4,
      days: 3,
      end: END,
      workflows: 5,
      hosts: 3,
      robots: 6,
      runsPerHour: 3,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 300_000,
      transport: both,
    });
  }, 300_000);
  afterAll(() => {
    sqlite?.close();
    postgres?.close();
    pg?.stop();
  });

  const same = <T>(read: (store: Store) => T) => expect(read(postgres)).toEqual(read(sqlite));
  const range = { from: END - 2 * DAY, to: END - DAY / 2 };

  it('when runs, steps and samples are read back, then both stores give the same answers', () => {
    expect(sqlite.stats().executions).toBeGreaterThan(100);
    same((s) => ({ ...s.stats(), sizeBytes: 0 }));
    // Pages of runs, cursors followed.
    for (const filter of [{}, { workflows: [s0(sqlite)] }, { statuses: ['failed' as const, 'timeout' as const] }, { hosts: ['no-such-host'] }]) {
      const pages = (store: Store) => {
        const out = [];
        let cursor: string | undefined;
        for (let i = 0; i < 3; i++) {
          const page = store.listExecutions({ ...filter, limit: 40, cursor });
          out.push(page);
          cursor = page.nextCursor;
          if (!cursor) break;
        }
        return out;
      };
      same(pages);
    }
    const ids = sqlite
      .listExecutions({ limit: 500 })
      .items.filter((_, i) => i % 37 === 0)
      .map((e) => e.id);
    expect(ids.map((id) => sqlite.getExecution(id)).some((d) => d?.resources && d.steps.length > 0)).toBe(true);
    same((s) => ids.map((id) => s.getExecution(id)));
    same((s) => s.listSamples({ ...range, limit: 300 }));
    same((s) => s.listSamples({ hosts: [sqlite.names('hosts')[0]], ...range }));
    same((s) => s.runs({ by: 'end', ...range }));
    same((s) => s.runs({ workflows: [s0(sqlite)], last: 20 }));
    same((s) => s.stepsOfRuns({ ...range, statuses: ['completed'] }));
    same((s) => s.robotBusyTime(range.from, range.to));
    same((s) => s.versionChanges({}));
    for (const kind of ['workflows', 'steps', 'hosts', 'robots', 'versions', 'errorTypes'] as const) same((s) => s.names(kind));
    same((s) => s.names('steps', [s0(sqlite)]));
    const cpu = (s: Store) =>
      s
        .runsWithHostCpu(range)
        .map((r) => [r.workflow, r.durationMs, Number(r.cpuPercent.toFixed(9))] as const)
        .sort((a, b) => a[1] - b[1] || a[2] - b[2] || a[0].localeCompare(b[0]));
    expect(cpu(sqlite).length).toBeGreaterThan(10);
    same(cpu);
    same((s) => hourRuns(s, END - 3 * DAY, END));
    same((s) => hourSteps(s, END - 3 * DAY, END));
  });

  it('when an analysis pass runs on each, then they find the same anomalies, incidents and insights', () => {
    for (const store of [sqlite, postgres]) new AnalysisScheduler({ store, now: () => END, historyDays: 4 }).runPass();
    const anomalies = sqlite.listAnomalies({});
    expect(anomalies.length).toBeGreaterThan(0);
    same((s) => s.listAnomalies({}));
    same((s) => s.listAnomalies({ status: 'open', minSeverity: 0.5, limit: 5 }));
    same((s) => s.getAnomaly(anomalies[0].id));
    same((s) => s.listIncidents({}));
    same((s) => s.listInsights({}));
    same((s) => [...s.loadDetectorStates().keys()].sort());
    // The pass's cursors, which both committed with its findings (a key nothing writes would compare null with null).
    for (const name of ['cursor.runs', 'cursor.hours', 'cursor.hosts']) {
      expect(Number(sqlite.analysisValue(name))).toBeGreaterThan(END - DAY);
      same((s) => s.analysisValue(name));
    }
  });

  it('when the change feed is read from the start, then it names the same runs, samples and anomalies', () => {
    const content = (s: Store) => {
      const set = s.changes(0, 100_000);
      return {
        more: set.more,
        executions: set.executions.map((e) => e.id).sort(),
        samples: set.samples.length,
        anomalies: set.anomalies.map((a) => a.id).sort(),
      };
    };
    expect(content(sqlite)).toMatchObject({ more: false, samples: expect.any(Number) });
    expect(content(sqlite).samples).toBeGreaterThan(100);
    expect(content(sqlite).anomalies.length).toBeGreaterThan(0);
    same(content);
    expect(postgres.latestChange()).toBeGreaterThan(0);
    expect(() => postgres.changes(postgres.latestChange() + 5, 10)).toThrow(expect.objectContaining({ code: 'gone' }));
  });

  it('when raw rows expire, then both archive and delete the same ones', () => {
    const cutoff = END - 2 * DAY;
    expect(sqlite.expiredRaw(cutoff, 50).executions).toHaveLength(50);
    same((s) => s.expiredRaw(cutoff, 50));
    for (const store of [sqlite, postgres]) store.deleteRaw(store.expiredRaw(cutoff, 50));
    same((s) => ({ ...s.stats(), sizeBytes: 0 }));
    same((s) => s.deleteRollupsBefore(cutoff));
    same((s) => hourRuns(s, END - 3 * DAY, END));
  });

  it('when archived runs are restored, their steps in a later batch, then both count them and their steps in the rollups once', () => {
    const expected = { runs: hourRuns(sqlite, END - 3 * DAY, END), steps: hourSteps(sqlite, END - 3 * DAY, END) };
    expect(expected.runs.length).toBeGreaterThan(0);
    expect(expected.steps.length).toBeGreaterThan(0);
    for (const store of [sqlite, postgres]) {
      const archived = store.expiredRaw(END - DAY, 100_000);
      expect(archived.executions.length).toBeGreaterThan(50);
      expect(archived.steps.length).toBeGreaterThan(50);
      store.deleteRaw(archived);
      store.ingest({ ...archived, steps: [] });
      store.ingest({ executions: [], steps: archived.steps, samples: [] });
      // Sent again after the restore: stored already, so not counted either.
      store.ingest(archived);
    }
    const both = (s: Store) => ({ runs: hourRuns(s, END - 3 * DAY, END), steps: hourSteps(s, END - 3 * DAY, END) });
    same(both);
    expect(both(postgres)).toEqual(expected);
  });
});

function s0(store: Store): string {
  return store.names('workflows')[0];
}
