import { parentPort, workerData } from 'node:worker_threads';
import type { QueryRequest } from '@rpa-analytics/contract';
import type { ReportRequest } from '../report/report';
import { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import { type StoreLocation, openStore } from '../store/location';
import { type AnalysisMethod, QueryEngine } from './queryEngine';
import { framesJson } from './queryService';

/** A query worker: its own read-only connection to the collector's database (WAL lets it read beside ingest). */
const store = openStore((workerData as { location: StoreLocation }).location, { readonly: true });
const engine = new QueryEngine(store, new PerformanceAnalyzer(store));

type Message =
  | { id: number; request: QueryRequest }
  | { id: number; report: ReportRequest }
  | { id: number; analysis: { method: AnalysisMethod; args: unknown[] } }
  | { close: true };

function answer(message: Exclude<Message, { close: true }>): unknown {
  if ('report' in message) return engine.report(message.report);
  if ('analysis' in message) return engine.analysis(message.analysis.method, message.analysis.args as never);
  return framesJson(engine.run(message.request));
}

parentPort!.on('message', (message: Message) => {
  if ('close' in message) {
    store.close();
    process.exit(0);
  }
  try {
    // Analyses can answer null (a trend of too few runs): wrapped, so null is an answer too.
    parentPort!.postMessage({ id: message.id, response: { value: answer(message) } });
  } catch (error) {
    const e = error as { name?: string; code?: string; message: string; details?: unknown };
    parentPort!.postMessage({ id: message.id, error: { name: e.name, code: e.code, message: e.message, details: e.details } });
  }
});
