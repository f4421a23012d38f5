import { parentPort, workerData } from 'node:worker_threads';
import type { QueryRequest } from '../api/queryContract';
import type { ReportRequest } from '../report/report';
import { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { QueryEngine } from './queryEngine';

/** A query worker: its own read-only connection to the collector's database (WAL lets it read beside ingest). */
const store = new SqliteStore({ file: (workerData as { file: string }).file, readonly: true });
const engine = new QueryEngine(store, new PerformanceAnalyzer(store));

parentPort!.on('message', (message: { id: number; request: QueryRequest } | { id: number; report: ReportRequest } | { close: true }) => {
  if ('close' in message) {
    store.close();
    process.exit(0);
  }
  try {
    parentPort!.postMessage({ id: message.id, response: 'report' in message ? engine.report(message.report) : engine.run(message.request) });
  } catch (error) {
    const e = error as { name?: string; code?: string; message: string; details?: unknown };
    parentPort!.postMessage({ id: message.id, error: { name: e.name, code: e.code, message: e.message, details: e.details } });
  }
});
