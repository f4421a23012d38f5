import path from 'node:path';
import type { QueryRequest } from '@rpa-analytics/contract';
import { StoreTransport } from '../collect/storeTransport';
import { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import { INCIDENT_KINDS } from '../sim/incidents';
import { runSimulation } from '../sim/simulator';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { tempDir } from '../testing/harness';
import { QueryCache } from './queryCache';
import { QueryEngine } from './queryEngine';
import { QueryService } from './queryService';

const END = Date.UTC(2026, 10, 20);
const DAY = 86_400_000;

describe('queries in worker threads', () => {
  const tmp = tempDir();
  let store: SqliteStore;
  let service: QueryService;
  let engine: QueryEngine;

  beforeAll(async () => {
    store = new SqliteStore({ file: path.join(tmp.dir, 'fleet.db') });
    await runSimulation({
      seed: 2,
      days: 7,
      end: END,
      workflows: 8,
      hosts: 4,
      robots: 6,
      runsPerHour: 4,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 300_000,
      transport: new StoreTransport(store),
    });
    engine = new QueryEngine(store, new PerformanceAnalyzer(store));
    service = new QueryService(engine, new QueryCache(0), { location: { file: store.file }, workers: 2 });
  }, 60_000);
  afterAll(async () => {
    await service.close();
    store.close();
    tmp.cleanup();
  });

  const request: QueryRequest = {
    range: { from: END - 7 * DAY + 123_456, to: END - 1000 },
    intervalMs: 3_600_000,
    maxDataPoints: 500,
    targets: [
      { refId: 'A', queryType: 'timeseries', metric: 'run_duration', aggregation: 'p95', groupBy: ['workflow'] },
      { refId: 'B', queryType: 'timeseries', metric: 'step_duration', aggregation: 'avg', groupBy: ['step'] },
      { refId: 'C', queryType: 'resources', metric: 'host_cpu' },
      { refId: 'D', queryType: 'stats' },
      { refId: 'E', queryType: 'degradation' },
      { refId: 'F', queryType: 'executions', topN: 50 },
      { refId: 'G', queryType: 'timeseries', metric: 'success_rate', groupBy: ['workflow'] },
    ],
  };

  it('runs in two worker threads and answers exactly as the main thread does', async () => {
    expect(service.threads).toBe(2);
    const [first, second] = await Promise.all([service.run(request), service.run(request)]);
    const main = engine.run(request);
    expect(first).toEqual(main);
    expect(second).toEqual(main);
    expect(Object.keys(main.results)).toHaveLength(7);
  });

  it("builds reports in a worker, equal to the main thread's, and carries an unknown workflow back as 404", async () => {
    const range = { from: END - 7 * DAY, to: END };
    const workflow = store.names('workflows')[0];
    const [fleet, one] = await Promise.all([service.report(range), service.report({ ...range, workflow })]);
    const strip = <T extends { generatedAt: string }>(r: T) => ({ ...r, generatedAt: '' });
    expect(strip(fleet)).toEqual(strip(engine.report(range)));
    expect(strip(one)).toEqual(strip(engine.report({ ...range, workflow })));
    expect(fleet.summary.workflows).toBe(8);
    await expect(service.report({ ...range, workflow: 'Nobody' })).rejects.toMatchObject({ name: 'AppError', code: 'not_found' });
  });

  it("runs the on-demand analyses in a worker, each equal to the main thread's (null included)", async () => {
    const range = { from: END - 7 * DAY, to: END };
    const workflow = store.names('workflows')[0];
    const performance = new PerformanceAnalyzer(store);
    expect(await service.analysis('analyzeWorkflow', workflow, range.from, range.to, 3)).toEqual(
      performance.analyzeWorkflow(workflow, range.from, range.to, 3),
    );
    expect(await service.analysis('bottlenecks', workflow, range)).toEqual(performance.bottlenecks(workflow, range));
    expect(await service.analysis('compareWorkflows', undefined, range)).toEqual(performance.compareWorkflows(undefined, range));
    expect(await service.analysis('trend', workflow, range)).toEqual(performance.trend(workflow, range));
    expect(await service.analysis('detectDegradation', workflow, range)).toEqual(performance.detectDegradation(workflow, range));
    expect(await service.analysis('analyzeSuccess', workflow, range, 3_600_000)).toEqual(performance.analyzeSuccess(workflow, range, 3_600_000));
    // Too few runs for a trend: null, carried back as null.
    expect(await service.analysis('trend', workflow, { from: END - 1000, to: END })).toBeNull();
  });

  it('carries a bad query back as the same 400 error', async () => {
    await expect(
      service.run({ ...request, targets: [{ refId: 'X', queryType: 'timeseries', metric: 'run_duration', groupBy: ['step'] }] }),
    ).rejects.toMatchObject({
      name: 'AppError',
      code: 'validation_failed',
      message: 'query X: groupBy step applies to step_duration only',
      details: [{ field: 'targets[0].groupBy', message: 'step applies to step_duration only' }],
    });
  });
});
