import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../domain/errors';
import { fromWire, type WireError, WorkerCalls } from '../threads/workerCalls';
import type { LogFormat, Logger } from '../log';
import type { StoreLocation } from '../store/location';
import type { AnalysisResults, StoreReader } from '../store/store';
import { AnalysisScheduler, type PassReport, type SchedulerOptions } from './analysisScheduler';
import { AnomalyDetector } from './anomalyDetector';
import { InsightGenerator } from './insightGenerator';
import { PerformanceAnalyzer } from './performanceAnalyzer';

/** What the collector needs of its analysis, wherever the passes run. */
export interface AnalysisRunner {
  readonly performance: PerformanceAnalyzer;
  readonly insights: InsightGenerator;
  readonly lastReport?: PassReport;
  readonly lastPassAt?: number;
  readonly lastError?: string;
  /** False while another collector on a shared database runs the passes. */
  readonly leading: boolean;
  /** A pass now; `refreshInsights` refreshes the insights too, due or not. */
  runPass(options?: { refreshInsights?: boolean }): Promise<PassReport>;
  start(): void;
  stop(): Promise<void>;
}

/** Passes in the collector's own thread (an in-memory store cannot be shared with a worker). */
export class InThreadAnalysis implements AnalysisRunner {
  readonly scheduler: AnalysisScheduler;
  readonly leading = true;

  constructor(options: SchedulerOptions) {
    this.scheduler = new AnalysisScheduler(options);
  }

  get performance() {
    return this.scheduler.performance;
  }
  get insights() {
    return this.scheduler.insights;
  }
  get lastReport() {
    return this.scheduler.lastReport;
  }
  get lastPassAt() {
    return this.scheduler.lastPassAt;
  }
  get lastError() {
    return this.scheduler.lastError;
  }

  async runPass(options?: { refreshInsights?: boolean }): Promise<PassReport> {
    return this.scheduler.runPass(options);
  }

  start(): void {
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
  }
}

/** What a pass in the worker says: another collector leads (no pass here), or its report. */
export type PassOutcome = { following: true } | { following: false; report: PassReport; lastPassAt?: number };

/**
 * Passes in a worker thread with its own connection to the database, so a long pass never holds
 * up ingest or queries. Per-request analyses (performance, insights marked implemented) stay in
 * this thread, on the collector's connection.
 */
export class WorkerAnalysis implements AnalysisRunner {
  readonly performance: PerformanceAnalyzer;
  readonly insights: InsightGenerator;
  lastReport?: PassReport;
  lastPassAt?: number;
  lastError?: string;
  private readonly calls: WorkerCalls<{ refreshInsights: boolean }, PassOutcome>;
  private readonly log?: Logger;

  /**
   * False while another collector on the same database holds the analysis lead, and on a shared
   * database until the first pass has asked for it (a collector alone on its SQLite file leads).
   */
  leading: boolean;
  /** Whether a pass has said yet who leads. */
  private asked = false;
  /** On a shared (PostgreSQL) database, which collector leads is said from the first pass on. */
  private readonly shared: boolean;

  constructor(
    /** The collector's own store: what the per-request analyses read, and where an insight marked implemented is kept. */
    store: StoreReader & Pick<AnalysisResults, 'saveInsights'>,
    location: StoreLocation,
    options: { sensitivity: number; intervalMs: number; latenessMs?: number; historyDays: number; timeZone?: string; log?: Logger; logFormat?: LogFormat },
  ) {
    this.leading = !('postgres' in location);
    const performance = new PerformanceAnalyzer(store);
    this.performance = performance;
    this.insights = new InsightGenerator(performance, new AnomalyDetector(store, { sensitivity: options.sensitivity, timeZone: options.timeZone }));
    const worker = new Worker(path.join(__dirname, 'analysisWorker.js'), {
      workerData: {
        location,
        sensitivity: options.sensitivity,
        intervalMs: options.intervalMs,
        latenessMs: options.latenessMs,
        historyDays: options.historyDays,
        timeZone: options.timeZone,
        logLevel: options.log?.level ?? 'silent',
        logFormat: options.logFormat ?? 'json',
      },
    });
    worker.unref();
    this.log = options.log;
    this.shared = 'postgres' in location;
    // The passes the worker's own timer runs: their outcome, or their error.
    this.calls = new WorkerCalls(worker, 'analysis worker', (message) => {
      const told = message as { value?: PassOutcome; error?: WireError };
      if (told.error) this.failed(fromWire(told.error));
      else if (told.value) this.observe(told.value);
    });
    worker.on('error', (error) => (this.lastError = error.message));
  }

  /** A pass now, in the worker. @throws AppError `conflict` when another collector on the database leads. */
  async runPass(options: { refreshInsights?: boolean } = {}): Promise<PassReport> {
    let outcome: PassOutcome;
    try {
      outcome = await this.calls.call({ refreshInsights: options.refreshInsights === true });
    } catch (error) {
      this.failed(error as Error);
      throw error;
    }
    this.observe(outcome);
    if (outcome.following) throw new AppError('conflict', 'another collector sharing the database runs the analysis passes');
    return outcome.report;
  }

  /** Whether this collector leads, said once when it changes; the last report kept. */
  private observe(outcome: PassOutcome): void {
    if (this.leading === outcome.following || (!this.asked && this.shared)) {
      this.log?.info(
        outcome.following
          ? 'analysis: another collector on the database runs the passes now; this one follows'
          : 'analysis: this collector runs the passes now',
      );
    }
    this.asked = true;
    this.leading = !outcome.following;
    if (outcome.following) return;
    this.lastReport = outcome.report;
    this.lastPassAt = outcome.lastPassAt;
    this.lastError = undefined;
  }

  private failed(error: Error): void {
    this.lastError = error.message;
    this.log?.error({ error: error.message }, 'analysis pass failed');
  }

  start(): void {
    this.calls.notify({ type: 'start' });
  }

  async stop(): Promise<void> {
    await this.calls.close();
  }
}
