import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { QueryRequest } from '@rpa-analytics/contract';
import { PerformanceAnalyzer } from '../src/engine/performanceAnalyzer';
import { QueryEngine } from '../src/query/queryEngine';
import { PgStore } from '../src/store/postgres/pgStore';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import type { Store } from '../src/store/store';
import { spawnCollector } from '../src/testing/collectorProcess';
import { postgresBinaries, startPostgres } from '../src/testing/postgresCluster';
import { type FleetScale, fleetBatches } from './fleetData';
import { BATCH_RUNS, sendAll } from './ingestQueries';
import { postJson } from './httpClient';
import { type Figure, figure, median } from './measure';

const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 20);

/** Posts each body to the next of `urls` in turn, as a load balancer would spread them. */
function poster(urls: string[]): (body: string) => Promise<number> {
  let next = 0;
  return async (body) => {
    const started = performance.now();
    const url = urls[next++ % urls.length];
    const { status } = await postJson(`${url}/api/v1/ingest`, body);
    if (status !== 200) throw new Error(`ingest answered ${status}`);
    return performance.now() - started;
  };
}

/**
 * PostgreSQL beside SQLite in the same run: ingest over HTTP into one SQLite collector, one
 * collector on PostgreSQL and two collectors sharing one PostgreSQL (batches spread over both),
 * and the same dashboard panels from each store. PostgreSQL is a throwaway cluster on this
 * machine (fsync off, as in the tests), so the figures are of the collector's side, not of a
 * production database server's disks.
 */
export async function benchPostgres(quick: boolean, progress: (line: string) => void): Promise<Figure[]> {
  if (!postgresBinaries()) {
    progress('  PostgreSQL is not installed (apt-get install postgresql): skipped');
    return [];
  }
  const scale: FleetScale = quick
    ? { executions: 10_000, days: 14, workflows: 20, hosts: 5, stepsPerRun: 10 }
    : { executions: 100_000, days: 30, workflows: 40, hosts: 10, stepsPerRun: 10 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-bench-pg-'));
  const pg = await startPostgres();
  const children: Array<{ kill: (signal: NodeJS.Signals) => boolean }> = [];
  const stores: Store[] = [];
  try {
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query('CREATE DATABASE one');
    await admin.query('CREATE DATABASE two');
    await admin.end();
    const urlOf = (db: string) => pg.url.replace(/\/postgres$/, `/${db}`);
    const collector = async (env: Record<string, string>) => {
      const c = await spawnCollector({ RPA_ANALYSIS: 'off', RPA_LOG_LEVEL: 'info', RPA_MAX_BATCH_RECORDS: '5000', ...env });
      children.push(c.child);
      return c.url;
    };
    const records = `${scale.executions} runs x ${scale.stepsPerRun} steps`;
    progress(`  ingest of ${records} into one collector on SQLite ...`);
    const sqliteDir = path.join(dir, 'sqlite');
    const sqlite = await sendAll(fleetBatches(scale, BATCH_RUNS, END), poster([await collector({ RPA_DATA_DIR: sqliteDir })]));
    progress('  ... into one collector on PostgreSQL ...');
    const one = await sendAll(
      fleetBatches(scale, BATCH_RUNS, END),
      poster([await collector({ RPA_DATA_DIR: path.join(dir, 'one'), RPA_STORE: urlOf('one') })]),
    );
    progress('  ... into two collectors sharing one PostgreSQL ...');
    const pair = [
      await collector({ RPA_DATA_DIR: path.join(dir, 'two-a'), RPA_STORE: urlOf('two') }),
      await collector({ RPA_DATA_DIR: path.join(dir, 'two-b'), RPA_STORE: urlOf('two') }),
    ];
    const two = await sendAll(fleetBatches(scale, BATCH_RUNS, END), poster(pair));

    progress('  dashboard panels from each store ...');
    const onSqlite = new SqliteStore({ file: path.join(sqliteDir, 'rpa-analytics.db'), readonly: true });
    const onPostgres = new PgStore(urlOf('one'));
    stores.push(onSqlite, onPostgres);
    const engines = [onSqlite, onPostgres].map((store) => new QueryEngine(store, new PerformanceAnalyzer(store), true));
    const figures: Figure[] = [
      figure({
        scenario: `ingest over HTTP (${records}), one collector on PostgreSQL`,
        metric: 'records per second',
        unit: '/s',
        value: one.rate,
        baselineName: 'one collector on SQLite',
        baseline: sqlite.rate,
      }),
      figure({
        scenario: `ingest over HTTP (${records}), two collectors sharing one PostgreSQL`,
        metric: 'records per second',
        unit: '/s',
        value: two.rate,
        baselineName: 'one collector on SQLite',
        baseline: sqlite.rate,
      }),
    ];
    for (const days of [7, 14]) {
      for (const aggregation of ['avg', 'p95'] as const) {
        const request: QueryRequest = {
          range: { from: END - days * DAY + 7 * 60_000, to: END - 3 * 60_000 },
          intervalMs: 3_600_000,
          maxDataPoints: 2000,
          targets: [{ refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation, groupBy: ['workflow'] }],
        };
        const [lite, postgres] = engines.map((engine) => {
          const times: number[] = [];
          for (let i = 0; i < 5; i++) {
            const t = performance.now();
            engine.run(request);
            times.push(performance.now() - t);
          }
          return median(times);
        });
        figures.push(
          figure({
            scenario: `${days}-day panel, hourly, per workflow, ${aggregation}, on PostgreSQL`,
            metric: 'query time',
            unit: 'ms',
            value: postgres,
            baselineName: 'same panel on SQLite',
            baseline: lite,
          }),
        );
      }
    }
    return figures;
  } finally {
    for (const store of stores) store.close();
    for (const child of children) child.kill('SIGKILL');
    pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
