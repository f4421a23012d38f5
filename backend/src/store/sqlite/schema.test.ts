import path from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../testing/harness';
import { QuantileDigest } from '../../analysis/quantileDigest';
import { MIGRATIONS, migrate, SCHEMA_VERSION } from './schema';
import { packSteps } from './stepMigration';
import { SqliteStore } from './sqliteStore';
import type { Dictionaries } from './dictionaries';
import { runConditions, whereClause } from './runConditions';
import type { HourlyStarts } from '../store';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

describe('schema migrations', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('when a database file from schema version 1 is opened, then it is migrated and its rows kept', () => {
    const file = path.join(tmp.dir, 'old.db');
    const old = new Database(file);
    expect(migrate(old, 1)).toBe(1);
    old.prepare("INSERT INTO workflows(id, name) VALUES (1, 'Payroll')").run();
    old.prepare('INSERT INTO executions(ext_id, workflow_id, started_at, status, duration_ms) VALUES (?, 1, ?, 1, 1200)').run('old-run', T0);
    old.close();

    const store = new SqliteStore({ file });
    try {
      expect(store.getExecution('old-run')).toEqual({
        id: 'old-run',
        workflow: 'Payroll',
        startedAt: T0,
        durationMs: 1200,
        status: 'completed',
        steps: [],
      });
      // Version 2 brought resource samples: they can be written now.
      store.ingest({
        executions: [],
        steps: [],
        samples: [
          {
            host: 'vm-1',
            time: T0,
            cpuPercent: 12,
            memoryUsedBytes: 1,
            memoryTotalBytes: 2,
            diskReadBytesPerSec: 0,
            diskWriteBytesPerSec: 0,
            netRxBytesPerSec: 0,
            netTxBytesPerSec: 0,
          },
        ],
      });
      expect(store.stats().samples).toBe(1);
    } finally {
      store.close();
    }
    const reopened = new Database(file);
    expect(reopened.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal');
    reopened.close();
  });

  it('when a version 5 file with a rollup row per workflow is opened, then its rollups are packed, keyed by bucket, and read back the same', () => {
    const file = path.join(tmp.dir, 'v5.db');
    const old = new Database(file);
    expect(migrate(old, 5)).toBe(5);
    old.exec("INSERT INTO workflows(id, name) VALUES (1, 'Payroll'), (2, 'Invoices'); INSERT INTO step_names(id, name) VALUES (1, 'Login'), (2, 'Export')");
    const HOUR = 3_600_000;
    const many = Array.from({ length: 100 }, (_, i) => 1000 + 37 * i);
    const digest = (values: number[]) => QuantileDigest.of([...values]).encode();
    const insertRun = old.prepare('INSERT INTO run_rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insertRun.run(HOUR, 1, T0, 1, 2, 2, 3000, 1000, 2000, digest([1000, 2000]));
    insertRun.run(
      HOUR,
      2,
      T0,
      1,
      100,
      100,
      many.reduce((a, b) => a + b),
      1000,
      many[99],
      digest(many),
    );
    insertRun.run(HOUR, 1, T0, 2, 3, 0, 0, null, null, null);
    insertRun.run(60_000, 1, T0 + 60_000, 1, 1, 1, 1500, 1500, 1500, digest([1500]));
    old.prepare('INSERT INTO step_rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(HOUR, 1, T0 + HOUR, 2, 2, 700, 300, 400, digest([300, 400]));
    old.close();

    const told: number[] = [];
    const store = new SqliteStore({ file, onMigration: (m) => told.push(m.version) });
    try {
      expect(told).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      const hours = store.runRollups({ resolution: HOUR, from: T0, to: T0 + HOUR });
      const plain = hours.map(({ digest: d, ...rest }) => ({ ...rest, p50: d?.quantile(0.5) ?? null }));
      expect(plain).toEqual(
        expect.arrayContaining([
          { bucket: T0, workflow: 'Payroll', status: 'completed', runs: 2, timed: 2, sumMs: 3000, minMs: 1000, maxMs: 2000, p50: 1500 },
          {
            bucket: T0,
            workflow: 'Invoices',
            status: 'completed',
            runs: 100,
            timed: 100,
            sumMs: many.reduce((a, b) => a + b),
            minMs: 1000,
            maxMs: many[99],
            p50: expect.closeTo(QuantileDigest.of([...many]).quantile(0.5), 6),
          },
          { bucket: T0, workflow: 'Payroll', status: 'failed', runs: 3, timed: 0, sumMs: 0, minMs: null, maxMs: null, p50: null },
        ]),
      );
      expect(hours).toHaveLength(3);
      expect(store.runRollups({ resolution: 60_000, from: T0, to: T0 + HOUR }).map((r) => [r.workflow, r.sumMs])).toEqual([['Payroll', 1500]]);
      const steps = store.stepRollups({ resolution: HOUR, from: T0, to: T0 + 2 * HOUR });
      expect(steps.map(({ digest: d, ...rest }) => ({ ...rest, p50: d!.quantile(0.5) }))).toEqual([
        { bucket: T0 + HOUR, workflow: 'Payroll', step: 'Export', steps: 2, sumMs: 700, minMs: 300, maxMs: 400, p50: 350 },
      ]);
    } finally {
      store.close();
    }
    const reopened = new Database(file);
    expect(reopened.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name IN ('run_rollups', 'step_rollups', 'rollups_by_bucket')").get()).toEqual({
      n: 0,
    });
    expect(reopened.prepare("SELECT name FROM pragma_index_info('rollups')").pluck().all()).toEqual(['kind', 'resolution', 'bucket', 'grp']);
    reopened.close();
  });

  it("when a version 7 file with a row per step is opened, then each run's steps are packed into one row and read back the same", () => {
    const v7 = (name: string) => {
      const db = new Database(path.join(tmp.dir, name));
      migrate(db, 7);
      db.exec(
        "INSERT INTO workflows(id, name) VALUES (1, 'Payroll'); INSERT INTO step_names(id, name) VALUES (1, 'Login'), (2, 'Export'); INSERT INTO error_messages(id, name) VALUES (1, 'timeout')",
      );
      const run = db.prepare('INSERT INTO executions(id, ext_id, workflow_id, started_at, status) VALUES (?, ?, 1, ?, 1)');
      const step = db.prepare('INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?)');
      // Runs with 0, 1, 4 and 7 steps; a duration with a fraction, an error, a failed step.
      [0, 1, 4, 7].forEach((count, r) => {
        run.run(r + 1, `run-${r}`, T0 + r * 60_000);
        for (let i = 0; i < count; i++)
          step.run(r + 1, i, 1 + (i % 2), T0 + r * 60_000 + i * 1000, i === 2 ? 812.5 : 900 + i, i === 3 ? 1 : 0, i === 3 ? 1 : null);
      });
      return db;
    };
    const expected = (r: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        executionId: `run-${r}`,
        index: i,
        name: i % 2 ? 'Export' : 'Login',
        startedAt: T0 + r * 60_000 + i * 1000,
        durationMs: i === 2 ? 812.5 : 900 + i,
        status: i === 3 ? 'failed' : 'completed',
        ...(i === 3 ? { error: 'timeout' } : {}),
      }));
    v7('v7.db').close();
    const store = new SqliteStore({ file: path.join(tmp.dir, 'v7.db') });
    try {
      [0, 1, 4, 7].forEach((count, r) => expect(store.getExecution(`run-${r}`)!.steps).toEqual(expected(r, count)));
      expect(store.stats().steps).toBe(12);
    } finally {
      store.close();
    }
    // Read three rows at a time, runs span pages: the rows written are the same.
    const paged = v7('v7-paged.db');
    paged.exec(MIGRATIONS.find((m) => m.version === 8)!.sql);
    packSteps(paged, 3);
    const packed = (db: Database.Database) => db.prepare('SELECT execution_id, count, hex(steps) FROM run_steps ORDER BY execution_id').raw().all();
    const migrated = new Database(path.join(tmp.dir, 'v7.db'));
    expect(packed(paged)).toEqual(packed(migrated));
    expect(packed(migrated)).toHaveLength(3);
    expect(migrated.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'steps'").pluck().get()).toBe(0);
    paged.close();
    migrated.close();
  });

  it('when a version 8 file with samples is opened, then their rollups are built and read back as the samples sum', () => {
    const file = path.join(tmp.dir, 'v8.db');
    const v8 = new Database(file);
    migrate(v8, 8);
    v8.exec("INSERT INTO hosts(id, name) VALUES (1, 'vm-1'), (2, 'vm-2'); INSERT INTO workflows(id, name) VALUES (1, 'Payroll')");
    const sample = v8.prepare(
      'INSERT INTO resource_samples (host_id, ts, cpu_percent, memory_used, memory_total, disk_read, disk_write, net_rx, net_tx, workflow_id) VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, ?)',
    );
    // Two hours of a sample every 30 s on vm-1 (the second hour for Payroll), one sample on vm-2 with no memory total.
    for (let t = 0; t < 2 * 3_600_000; t += 30_000) sample.run(1, T0 + t, (t / 30_000) % 100, 4e9, 8e9, t >= 3_600_000 ? 1 : null);
    sample.run(2, T0 + 90_000, 50, 0, 0, null);
    v8.close();
    const store = new SqliteStore({ file });
    try {
      const byKey = (rows: ReturnType<SqliteStore['sampleBuckets']>) => [...rows].sort((a, b) => a.host.localeCompare(b.host) || a.time - b.time);
      const hours = byKey(store.sampleBuckets({ from: T0, to: T0 + 2 * 3_600_000 }, 'cpuPercent', 3_600_000));
      // 120 samples an hour, values 0..99 then 0..19: sums 4950 + 190 = 5140, then 20..99 and 0..39.
      expect(hours).toEqual([
        { host: 'vm-1', time: T0, count: 120, sum: 5140, min: 0, max: 99 },
        { host: 'vm-1', workflow: 'Payroll', time: T0 + 3_600_000, count: 120, sum: 4760 + 780, min: 0, max: 99 },
        { host: 'vm-2', time: T0, count: 1, sum: 50, min: 50, max: 50 },
      ]);
      // vm-2's sample has no memory share: left out.
      expect(byKey(store.sampleBuckets({ from: T0, to: T0 + 3_600_000 }, 'memoryPercent', 3_600_000))).toEqual([
        { host: 'vm-1', time: T0, count: 120, sum: 6000, min: 50, max: 50 },
      ]);
    } finally {
      store.close();
    }
  });

  it('when a version 9 file is opened, then runs are found by workflow hour by hour and by host through the index by time', () => {
    const file = path.join(tmp.dir, 'v9.db');
    const v9 = new Database(file);
    migrate(v9, 9);
    v9.exec("INSERT INTO hosts(id, name) VALUES (1, 'vm-1'), (2, 'vm-2'); INSERT INTO workflows(id, name) VALUES (1, 'Payroll')");
    v9.exec("INSERT INTO workflows(id, name) VALUES (2, 'Claims')");
    const run = v9.prepare('INSERT INTO executions (ext_id, workflow_id, host_id, started_at, status) VALUES (?, ?, ?, ?, 1)');
    // Ten runs 20 minutes apart, on vm-1 and vm-2 in turn, of Payroll but every third of Claims.
    for (let i = 0; i < 10; i++) run.run(`run-${i}`, i % 3 === 0 ? 2 : 1, 1 + (i % 2), T0 + i * 20 * 60_000);
    v9.close();
    const store = new SqliteStore({ file });
    const db = new Database(file, { readonly: true });
    try {
      const indexes = db.prepare("SELECT name FROM pragma_index_list('executions') WHERE origin = 'c' ORDER BY name").pluck().all();
      expect(indexes).toEqual(['executions_by_end', 'executions_by_hour_workflow', 'executions_by_time']);
      expect(db.prepare("SELECT name FROM pragma_index_info('executions_by_time')").pluck().all()).toEqual(['started_at', 'host_id']);
      const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(T0, T0 + 1) as Array<{ detail: string }>).map((p) => p.detail).join();
      expect(plan('SELECT id FROM executions e WHERE e.host_id IN (2) AND e.started_at >= ? AND e.started_at < ?')).toContain(
        'executions_by_time (started_at>? AND started_at<?)',
      );
      expect(store.listExecutions({ hosts: ['vm-2'], from: T0 + 40 * 60_000, to: T0 + 180 * 60_000, limit: 10 }).items.map((e) => e.id)).toEqual([
        'run-7',
        'run-5',
        'run-3',
      ]);
      // A workflow's runs over hours, with ranges starting and ending inside them.
      expect(store.listExecutions({ workflows: ['Payroll'], from: T0 + 20 * 60_000, to: T0 + 160 * 60_000, limit: 10 }).items.map((e) => e.id)).toEqual([
        'run-7',
        'run-5',
        'run-4',
        'run-2',
        'run-1',
      ]);
      expect(store.listExecutions({ workflows: ['Claims'], limit: 10 }).items.map((e) => e.id)).toEqual(['run-9', 'run-6', 'run-3', 'run-0']);
      expect(store.runs({ workflows: ['Claims'], by: 'end', last: 2 })).toEqual([]);
      expect(store.runs({ workflows: ['Claims'], last: 2 }).map((e) => e.id)).toEqual(['run-6', 'run-9']);
      const byWorkflowAndHour = (a: HourlyStarts, b: HourlyStarts) => b.workflow.localeCompare(a.workflow) || a.hour - b.hour;
      expect(store.hourlyStarts(T0, T0 + 4 * 3_600_000).sort(byWorkflowAndHour)).toEqual([
        { workflow: 'Payroll', hour: T0, runs: 2 },
        { workflow: 'Payroll', hour: T0 + 3_600_000, runs: 2 },
        { workflow: 'Payroll', hour: T0 + 2 * 3_600_000, runs: 2 },
        { workflow: 'Claims', hour: T0, runs: 1 },
        { workflow: 'Claims', hour: T0 + 3_600_000, runs: 1 },
        { workflow: 'Claims', hour: T0 + 2 * 3_600_000, runs: 1 },
        { workflow: 'Claims', hour: T0 + 3 * 3_600_000, runs: 1 },
      ]);
      // Hour by hour: a seek each in the index by hour and workflow (Claims' id found as 2).
      const conditions = runConditions({ workflows: { find: () => 2 } } as unknown as Dictionaries, { workflows: ['Claims'], from: T0, to: T0 + 3_600_000 })!;
      const ofWorkflow = db.prepare(`EXPLAIN QUERY PLAN SELECT e.id FROM executions e ${whereClause(conditions)}`).all(...conditions.params) as Array<{
        detail: string;
      }>;
      expect(ofWorkflow[0].detail).toBe(
        'SEARCH e USING COVERING INDEX executions_by_hour_workflow (<expr>=? AND workflow_id=? AND started_at>? AND started_at<?)',
      );
    } finally {
      db.close();
      store.close();
    }
  });

  it("when a version 13 file is opened, then each workflow's runs count as arriving when its latest ended", () => {
    const file = path.join(tmp.dir, 'v13.db');
    const v13 = new Database(file);
    migrate(v13, 13);
    v13.exec("INSERT INTO workflows(id, name) VALUES (1, 'Payroll'), (2, 'Claims'), (3, 'Unused')");
    const run = v13.prepare('INSERT INTO executions (ext_id, workflow_id, started_at, ended_at, status) VALUES (?, ?, ?, ?, 1)');
    run.run('p-1', 1, T0, T0 + 60_000);
    run.run('p-2', 1, T0 + 3_600_000, T0 + 3_660_000);
    run.run('c-1', 2, T0 + 600_000, null);
    v13.close();
    const store = new SqliteStore({ file });
    try {
      expect(store.workflowArrivals()).toEqual([
        { workflow: 'Claims', arrivedAt: T0 + 600_000 },
        { workflow: 'Payroll', arrivedAt: T0 + 3_660_000 },
      ]);
    } finally {
      store.close();
    }
  });

  it('when the file was written by a newer collector, then opening it fails with a clear message', () => {
    const file = path.join(tmp.dir, 'newer.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => new SqliteStore({ file })).toThrow(
      `database schema version ${SCHEMA_VERSION + 1} is newer than this collector supports (${SCHEMA_VERSION}); upgrade the collector`,
    );
  });

  it('when a batch fails half-way, then dictionary ids created in it are not reused', () => {
    const store = new SqliteStore({ file: ':memory:' });
    const run = { id: 'a', workflow: 'Brand new workflow', startedAt: T0, status: 'running' as const };
    expect(() =>
      store.ingest({
        executions: [run],
        steps: [{ executionId: 'ghost', index: 0, name: 'x', startedAt: T0, durationMs: 1, status: 'completed' }],
        samples: [],
      }),
    ).toThrow('steps refer to executions that were never reported');
    store.ingest({ executions: [run], steps: [], samples: [] });
    expect(store.getExecution('a')?.workflow).toBe('Brand new workflow');
    store.close();
  });
});
