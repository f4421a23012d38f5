/**
 * The collector package's public API: the store, the analysis and the server, with the runner
 * SDK and the contract re-exported, for tools that embed the collector. A runner that only
 * reports installs `@rpa-analytics/sdk` instead.
 *
 * @example
 * import { MetricsCollector, StoreTransport, SqliteStore } from '@rpa-analytics/backend';
 * const analytics = new MetricsCollector({ transport: new StoreTransport(new SqliteStore({ file: 'rpa.db' })) }).start();
 * analytics.recordExecutionStart('exec_123', 'Invoice Processing', { robot: 'bot-1', host: 'vm-7' });
 * analytics.recordStep('exec_123', 'Login to SAP', 1840);
 * analytics.recordExecutionComplete('exec_123', { status: 'completed', stepsTotal: 1, stepsCompleted: 1 });
 * await analytics.shutdown();
 */
export * from '@rpa-analytics/contract';
export { AppError, type ErrorCode, type ErrorDetail } from './domain/errors';
// The runner SDK, for code that embeds the collector; runners install @rpa-analytics/sdk alone.
export * from '@rpa-analytics/sdk';
export { StoreTransport } from './collect/storeTransport';
export type { Store, ExecutionFilter, ExecutionPage, ExecutionPageRequest, StoreStats } from './store/store';
export { SqliteStore, TimeSeriesStore } from './store/sqlite/sqliteStore';
export { PerformanceAnalyzer } from './engine/performanceAnalyzer';
export { AnomalyDetector, type AnomalyDetectorOptions } from './engine/anomalyDetector';
export { InsightGenerator } from './engine/insightGenerator';
export { AnalysisScheduler, type SchedulerOptions, type PassReport } from './engine/analysisScheduler';
export { Collector } from './server';
export { loadConfig, type Config } from './config';
