import { workerData } from 'node:worker_threads';
import { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import { type StoreLocation, openStore } from '../store/location';
import { QueryEngine } from './queryEngine';
import { answerCalls } from '../threads/workerCalls';
import { framesJson, type QueryCall } from './queryService';

/** A query worker: its own read-only connection to the collector's database (WAL lets it read beside ingest). */
const store = openStore((workerData as { location: StoreLocation }).location, { readonly: true });
const engine = new QueryEngine(store, new PerformanceAnalyzer(store));

/** Analyses can answer null (a trend of too few runs): null is an answer too. */
function answer(call: QueryCall): unknown {
  if ('report' in call) return engine.report(call.report);
  if ('analysis' in call) return engine.analysis(call.analysis.method, call.analysis.args as never);
  return framesJson(engine.run(call.request));
}

answerCalls<QueryCall, unknown>(answer);
