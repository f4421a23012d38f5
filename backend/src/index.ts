/**
 * The collector package's public API: the runner SDK, the host sampler, the store and the
 * server, for runners and tools that embed them.
 *
 * @example
 * import { MetricsCollector, HttpTransport } from '@rpa-analytics/backend';
 * const analytics = new MetricsCollector({ transport: new HttpTransport({ url: 'http://collector:5001' }) }).start();
 * analytics.recordExecutionStart('exec_123', 'Invoice Processing', { robot: 'bot-1', host: 'vm-7' });
 * analytics.recordStep('exec_123', 'Login to SAP', 1840);
 * analytics.recordExecutionComplete('exec_123', { status: 'completed', stepsTotal: 1, stepsCompleted: 1 });
 * await analytics.shutdown();
 */
export * from '@rpa-analytics/contract';
export { AppError, type ErrorCode, type ErrorDetail } from './domain/errors';
export {
  MetricsCollector,
  type MetricsCollectorOptions,
  type ExecutionStartOptions,
  type StepOptions,
  type ExecutionCompleteOptions,
  type ExecutionContextSink,
} from './collect/metricsCollector';
export { HttpTransport, StoreTransport, TransportError, type Transport } from './collect/transport';
export { ResourceCollector, type ResourceCollectorOptions } from './collect/resourceCollector';
export type { ResourceSource, HostReading } from './collect/resourceSource';
export type { Store, ExecutionFilter, ExecutionPage, ExecutionPageRequest, StoreStats } from './store/store';
export { SqliteStore, TimeSeriesStore } from './store/sqlite/sqliteStore';
export { PerformanceAnalyzer } from './engine/performanceAnalyzer';
export { AnomalyDetector, type AnomalyDetectorOptions } from './engine/anomalyDetector';
export { InsightGenerator } from './engine/insightGenerator';
export { AnalysisScheduler, type SchedulerOptions, type PassReport } from './engine/analysisScheduler';
export { Collector } from './server';
export { loadConfig, type Config } from './config';
