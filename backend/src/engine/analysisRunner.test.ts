import path from 'node:path';
import { StoreTransport } from '../collect/storeTransport';
import { INCIDENT_KINDS } from '../sim/incidents';
import { runSimulation, type SimulationOptions } from '../sim/simulator';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { getJson, postJson, startCollector, tempDir, withCollector } from '../testing/harness';
import { until } from '../testing/prometheusServer';
import { fridayEveningInLosAngeles, weekdayLoadFleet } from '../testing/zonedFleet';
import { WorkerAnalysis } from './analysisRunner';
import { AnalysisScheduler } from './analysisScheduler';
import { storedHealth } from './healthRefresh';

const END = Date.UTC(2026, 10, 20);
const simulation: SimulationOptions = {
  seed: 4,
  days: 5,
  end: END,
  workflows: 8,
  hosts: 4,
  robots: 6,
  runsPerHour: 4,
  incidents: INCIDENT_KINDS,
  sampleIntervalMs: 300_000,
};

describe('analysis passes in a worker thread', () => {
  it('finds in its worker exactly what a pass in the main thread finds', async () => {
    const tmp = tempDir();
    try {
      const collector = await startCollector(tmp.dir);
      expect(collector.analysis).toBeInstanceOf(WorkerAnalysis);
      await runSimulation({ ...simulation, url: collector.url });
      const { status, body: report } = await postJson(`${collector.url}/api/v1/analysis/run`, {});
      expect(status).toBe(200);
      expect(report.opened).toBeGreaterThan(0);
      const fromWorker = collector.store
        .listAnomalies({})
        .map(({ id, seriesKey, startedAt, severity, status }) => ({ id, seriesKey, startedAt, severity, status }));
      // The worker's pass stored the workflows' health, where every collector's /metrics reads it.
      expect(storedHealth(collector.store).map((h) => h.workflow)).toEqual(collector.store.names('workflows'));
      expect(collector.store.names('workflows')).toHaveLength(8);
      await collector.stop();

      const store = new SqliteStore({ file: path.join(tmp.dir, 'main-thread.db') });
      await runSimulation({ ...simulation, transport: new StoreTransport(store) });
      new AnalysisScheduler({ store }).runPass();
      const inThread = store.listAnomalies({}).map(({ id, seriesKey, startedAt, severity, status }) => ({ id, seriesKey, startedAt, severity, status }));
      store.close();
      expect(fromWorker).toEqual(inThread);
    } finally {
      tmp.cleanup();
    }
  }, 60_000);

  it("when RPA_TIME_ZONE is the fleet's, then the worker's pass keeps its weekdays and weekends: Friday evening there opens nothing", async () => {
    // Three weeks of a Los Angeles fleet, slower under weekday load; told UTC, its Friday evenings
    // look slow. All three weeks are read: 30 days back from today they may start on a weekend.
    const opened = async (timeZone: string) => {
      const tmp = tempDir();
      const collector = await startCollector(tmp.dir, { RPA_TIME_ZONE: timeZone, RPA_ANALYSIS_HISTORY_DAYS: '3650' });
      try {
        expect(collector.analysis).toBeInstanceOf(WorkerAnalysis);
        expect((await postJson(`${collector.url}/api/v1/ingest`, { executions: weekdayLoadFleet('America/Los_Angeles'), steps: [], samples: [] })).status).toBe(
          200,
        );
        expect((await postJson(`${collector.url}/api/v1/analysis/run`, {})).status).toBe(200);
        return collector.store.listAnomalies({ metrics: ['run_duration'] }).map((a) => new Date(a.startedAt).toISOString());
      } finally {
        await collector.stop();
        tmp.cleanup();
      }
    };
    expect(await opened('America/Los_Angeles')).toEqual([]);
    const utc = await opened('UTC');
    expect(utc.length).toBeGreaterThan(0);
    expect(utc.filter((iso) => !fridayEveningInLosAngeles(iso))).toEqual([]);
  }, 60_000);

  it('when runs are backfilled after the collector started, then a requested pass has insights on them', async () => {
    // As the README runs it: the analysis on, its passes a minute apart.
    await withCollector({ RPA_ANALYSIS: 'on' }, async (collector) => {
      // The collector's first pass ran on an empty database; the next insights would be due in ten minutes.
      await until('the first pass at start', async () => collector.analysis?.lastPassAt ?? undefined);
      expect(collector.store.listInsights({})).toEqual([]);
      const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
      await runSimulation({ ...simulation, days: 3, end, url: collector.url });
      const { status, body: report } = await postJson(`${collector.url}/api/v1/analysis/run`, {});
      expect(status).toBe(200);
      expect(report.insights).toBeGreaterThan(0);
      const { body: insights } = await getJson(`${collector.url}/api/v1/insights`);
      expect(insights.length).toBe(report.insights);
      expect(new Set(insights.map((i: { category: string }) => i.category))).toContain('bottleneck');
    });
  }, 60_000);
});
