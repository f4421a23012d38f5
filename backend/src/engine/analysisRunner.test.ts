import path from 'node:path';
import { StoreTransport } from '../collect/transport';
import { INCIDENT_KINDS } from '../sim/incidents';
import { runSimulation, type SimulationOptions } from '../sim/simulator';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { postJson, startCollector, tempDir } from '../testing/harness';
import { WorkerAnalysis } from './analysisRunner';
import { AnalysisScheduler } from './analysisScheduler';
import { storedHealth } from './healthRefresh';

const END = Date.UTC(2026, 10, 20);
const simulation: SimulationOptions = { seed: 4, days: 5, end: END, workflows: 8, hosts: 4, robots: 6, runsPerHour: 4, incidents: INCIDENT_KINDS, sampleIntervalMs: 300_000 };

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
      const fromWorker = collector.store.listAnomalies({}).map(({ id, seriesKey, startedAt, severity, status }) => ({ id, seriesKey, startedAt, severity, status }));
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
});
