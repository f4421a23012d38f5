import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { QueryRequest } from '@rpa-analytics/contract';
import { spawnCollector } from '../src/testing/collectorProcess';
import { PerformanceAnalyzer } from '../src/engine/performanceAnalyzer';
import { QueryEngine } from '../src/query/queryEngine';
import { SqliteStore } from '../src/store/sqlite/sqliteStore';
import { FULL_SCALE, fleetBatches, QUICK_SCALE, type FleetScale } from './fleetData';
import { postJson } from './httpClient';
import { type Figure, figure, median, percentile } from './measure';

const DAY = 86_400_000;
const END = Date.UTC(2026, 10, 20);
export const BATCH_RUNS = 90; // 90 runs + 900 steps: about 1000 records a request

/** A process's resident memory from /proc (Linux): `VmRSS` now, `VmHWM` its peak. */
function residentMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

type Batches = ReturnType<typeof fleetBatches>;

/** Sends every batch with two clients, as several robots would: while one is written, the next is in flight. */
export async function sendAll(batches: Batches, post: (body: string) => Promise<number>): Promise<{ rate: number; latencies: number[] }> {
  let records = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    [0, 1].map(async () => {
      for (let next = batches.next(); !next.done; next = batches.next()) {
        records += next.value.executions.length + next.value.steps.length;
        latencies.push(await post(JSON.stringify({ executions: next.value.executions, steps: next.value.steps })));
      }
    }),
  );
  return { rate: records / ((performance.now() - started) / 1000), latencies };
}

const BARE_SERVER = `
  const server = require('node:http').createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString());
      res.setHeader('content-type', 'application/json');
      res.end('{"accepted":{}}');
    });
  });
  server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));`;

/** A node:http server in a process of its own that parses each JSON body and answers 200. */
function bareJsonServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['-e', BARE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /listening on (\S+)/.exec(chunk.toString());
      if (match) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
}

/** The physical limit: the same rows into bare tables with one prepared insert each, in batches. */
function rawInsertRate(dir: string, scale: FleetScale): number {
  const db = new Database(path.join(dir, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE e (id TEXT, workflow TEXT, robot TEXT, host TEXT, version TEXT, started INTEGER, ended INTEGER, duration REAL, status TEXT); CREATE TABLE s (execution TEXT, idx INTEGER, name TEXT, started INTEGER, duration REAL, status TEXT)',
  );
  const insertE = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertS = db.prepare('INSERT INTO s VALUES (?, ?, ?, ?, ?, ?)');
  const write = db.transaction((batch: ReturnType<typeof fleetBatches> extends Generator<infer B> ? B : never) => {
    for (const e of batch.executions) insertE.run(e.id, e.workflow, e.robot, e.host, e.packageVersion, e.startedAt, e.endedAt, e.durationMs, e.status);
    for (const s of batch.steps) insertS.run(s.executionId, s.index, s.name, s.startedAt, s.durationMs, s.status);
  });
  let records = 0;
  const started = performance.now();
  for (const batch of fleetBatches(scale, BATCH_RUNS, END)) {
    write(batch);
    records += batch.executions.length + batch.steps.length;
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return records / seconds;
}

/**
 * Ingest over HTTP against the raw insert limit, dashboard queries against the raw-row answer,
 * bytes on disk, ingest latency while dashboards query, and peak memory.
 */
export async function benchIngestQueries(quick: boolean, progress: (line: string) => void): Promise<Figure[]> {
  const scale = quick ? QUICK_SCALE : FULL_SCALE;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-bench-ingest-'));
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  try {
    progress(`  raw inserts of ${scale.executions} runs with ${scale.stepsPerRun} steps each ...`);
    const rawRate = rawInsertRate(dir, scale);

    // The collector in a process of its own, as it runs in production: the clients' work (building
    // and sending batches, here in this process) does not share its thread.
    const dataDir = path.join(dir, 'collector');
    const { child, url } = await spawnCollector({ RPA_DATA_DIR: dataDir, RPA_ANALYSIS: 'off', RPA_LOG_LEVEL: 'info', RPA_MAX_BATCH_RECORDS: '5000' });
    const startRss = residentMiB(child.pid!, 'VmRSS');
    const collector = { url };
    const post = async (body: string) => {
      const started = performance.now();
      const { status } = await postJson(`${collector.url}/api/v1/ingest`, body);
      if (status !== 200) throw new Error(`ingest answered ${status}`);
      return performance.now() - started;
    };
    progress('  ingest over HTTP ...');
    const { rate: httpRate, latencies } = await sendAll(fleetBatches(scale, BATCH_RUNS, END), post);
    const idleP99 = percentile(latencies, 0.99);

    // The floor of any JSON-over-HTTP ingest on this machine: a bare node:http server that only
    // parses each body, sent the same batches the same way (the first 100,000 runs).
    progress('  the same batches to a server that only parses them ...');
    const bare = await bareJsonServer();
    const bareBatches = fleetBatches({ ...scale, executions: Math.min(scale.executions, 100_000) }, BATCH_RUNS, END);
    const { rate: parseOnlyRate } = await sendAll(bareBatches, async (body) => {
      const started = performance.now();
      await postJson(bare.url, body);
      return performance.now() - started;
    });
    bare.child.kill('SIGKILL');

    // Dashboards' engines read the collector's file beside it, as its query workers do.
    const store = new SqliteStore({ file: path.join(dataDir, 'rpa-analytics.db'), readonly: true });
    const sizeBytes = store.stats().sizeBytes;
    const bytesPerRun = sizeBytes / scale.executions;

    progress('  dashboard queries ...');
    const rawEngine = new QueryEngine(store, new PerformanceAnalyzer(store), false);
    const rollupEngine = new QueryEngine(store, new PerformanceAnalyzer(store), true);
    const panel = (days: number, aggregation: 'avg' | 'p95'): QueryRequest => ({
      range: { from: END - days * DAY + 7 * 60_000, to: END - 3 * 60_000 },
      intervalMs: 3_600_000,
      maxDataPoints: 2000,
      targets: [{ refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation, groupBy: ['workflow'] }],
    });
    const time = (engine: QueryEngine, request: QueryRequest, runs: number) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        engine.run(request);
        times.push(performance.now() - t);
      }
      return median(times);
    };
    const queryFigures: Figure[] = [];
    let worstP95Error = 0;
    for (const days of [7, 30]) {
      for (const aggregation of ['avg', 'p95'] as const) {
        const request = panel(days, aggregation);
        const fast = time(rollupEngine, request, 5);
        const slow = time(rawEngine, request, quick ? 3 : 2);
        queryFigures.push(
          figure({
            scenario: `${days}-day panel, hourly, per workflow, ${aggregation}`,
            metric: 'query time',
            unit: 'ms',
            value: fast,
            baselineName: 'same answer from raw rows',
            baseline: slow,
            target: days === 7 ? '≤ 50 ms' : '≤ 150 ms',
            met: fast <= (days === 7 ? 50 : 150),
          }),
        );
        if (aggregation === 'p95') {
          const a = rollupEngine.run(request).results.A.frames;
          const b = rawEngine.run(request).results.A.frames;
          a.forEach((frame, i) =>
            (frame.fields[1].values as Array<number | null>).forEach((v, j) => {
              const exact = (b[i].fields[1].values as Array<number | null>)[j];
              if (v !== null && exact) worstP95Error = Math.max(worstP95Error, Math.abs(v / exact - 1));
            }),
          );
        }
      }
    }

    progress('  ingest while dashboards query ...');
    let querying = true;
    let queryFailures = 0;
    let queriesDone = 0;
    const queryLoop = (async () => {
      for (let i = 0; querying; i++) {
        // Different ranges, so the cache does not answer them all.
        const request = { ...panel(30, 'p95'), range: { from: END - 30 * DAY + (i % 50) * 60_000, to: END - 3 * 60_000 } };
        try {
          await postJson(`${collector.url}/api/v1/query`, JSON.stringify(request));
          queriesDone++;
        } catch {
          queryFailures++;
        }
      }
    })();
    const busyLatencies: number[] = [];
    const extra = { ...scale, executions: Math.min(scale.executions, quick ? 5_000 : 50_000) };
    for (const batch of fleetBatches(extra, BATCH_RUNS, END + 91 * DAY)) {
      busyLatencies.push(
        await post(
          JSON.stringify({
            executions: batch.executions.map((e) => ({ ...e, id: `busy-${e.id}` })),
            steps: batch.steps.map((s) => ({ ...s, executionId: `busy-${s.executionId}` })),
          }),
        ),
      );
    }
    querying = false;
    await queryLoop;
    progress(`  ${queriesDone} dashboard queries answered meanwhile (${queryFailures} connection failures)`);
    const peakCollectorRss = residentMiB(child.pid!, 'VmHWM');
    store.close();
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });

    return [
      figure({
        scenario: `ingest over HTTP (${scale.executions} runs x ${scale.stepsPerRun} steps, ~1000 records a request)`,
        metric: 'records per second',
        unit: '/s',
        value: httpRate,
        baselineName: 'raw inserts into a bare table',
        baseline: rawRate,
        target: '≥ 30% of raw',
        met: httpRate / rawRate >= 0.3,
      }),
      ...queryFigures,
      figure({
        scenario: 'the same batches to a bare node:http server that only parses the JSON',
        metric: 'records per second',
        unit: '/s',
        value: parseOnlyRate,
        baselineName: 'raw inserts into a bare table',
        baseline: rawRate,
      }),
      figure({
        scenario: 'dashboard p95 from rollups',
        metric: 'largest error vs exact',
        unit: '%',
        value: 100 * worstP95Error,
        baselineName: 'target',
        baseline: 1,
        target: '≤ 1%',
        met: worstP95Error <= 0.01,
      }),
      figure({
        scenario: 'disk',
        metric: 'bytes per run (10 steps, rollups, indexes)',
        unit: 'B',
        value: bytesPerRun,
        baselineName: 'target',
        baseline: 600,
        target: '≤ 600 B',
        met: bytesPerRun <= 600,
      }),
      figure({
        scenario: 'ingest while 30-day dashboards query',
        metric: 'request latency p99',
        unit: 'ms',
        value: percentile(busyLatencies, 0.99),
        baselineName: 'p99 with no queries',
        baseline: idleP99,
        target: '< 100 ms',
        met: percentile(busyLatencies, 0.99) < 100,
      }),
      figure({
        scenario: 'collector process',
        metric: 'peak resident memory',
        unit: 'MiB',
        value: peakCollectorRss,
        baselineName: 'after start-up',
        baseline: startRss,
      }),
      figure({
        scenario: 'benchmark process (clients, raw baseline, panel engines)',
        metric: 'peak resident memory',
        unit: 'MiB',
        value: peakRss / 2 ** 20,
        baselineName: 'at start',
        baseline: process.memoryUsage().rss / 2 ** 20,
      }),
    ];
  } finally {
    clearInterval(rssTimer);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
