import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AppError } from '../domain/errors';
import type { LogFormat, Logger } from '../log';
import type { StoreLocation } from '../store/location';
import type { Store } from '../store/store';
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

interface PassMessage {
  id?: number;
  /** Another collector on the same database holds the analysis lead: no pass here. */
  following?: boolean;
  report?: PassReport;
  lastPassAt?: number;
  error?: string;
}

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
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (r: PassReport) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  /**
   * False while another collector on the same database holds the analysis lead, and on a shared
   * database until the first pass has asked for it (a collector alone on its SQLite file leads).
   */
  leading: boolean;
  /** Whether a pass has said yet who leads. */
  private asked = false;

  constructor(
    store: Store,
    location: StoreLocation,
    options: { sensitivity: number; intervalMs: number; latenessMs?: number; historyDays: number; log?: Logger; logFormat?: LogFormat },
  ) {
    this.leading = !('postgres' in location);
    this.performance = new PerformanceAnalyzer(store);
    this.insights = new InsightGenerator(this.performance, new AnomalyDetector(store, { sensitivity: options.sensitivity }));
    this.worker = new Worker(path.join(__dirname, 'analysisWorker.js'), {
      workerData: {
        location,
        sensitivity: options.sensitivity,
        intervalMs: options.intervalMs,
        latenessMs: options.latenessMs,
        historyDays: options.historyDays,
        logLevel: options.log?.level ?? 'silent',
        logFormat: options.logFormat ?? 'json',
      },
    });
    this.worker.unref();
    this.worker.on('message', (message: PassMessage) => {
      if (this.leading === Boolean(message.following) || (!this.asked && 'postgres' in location)) {
        options.log?.info(
          message.following
            ? 'analysis: another collector on the database runs the passes now; this one follows'
            : 'analysis: this collector runs the passes now',
        );
      }
      this.asked = true;
      this.leading = !message.following;
      if (message.following) {
        if (message.id !== undefined)
          this.waiting.get(message.id)?.reject(new AppError('conflict', 'another collector sharing the database runs the analysis passes'));
        this.waiting.delete(message.id!);
        return;
      }
      if (message.error) {
        this.lastError = message.error;
        options.log?.error({ error: message.error }, 'analysis pass failed');
      } else {
        this.lastReport = message.report;
        this.lastPassAt = message.lastPassAt;
        this.lastError = undefined;
      }
      if (message.id === undefined) return;
      const waiting = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.report!);
    });
    this.worker.on('error', (error) => {
      this.lastError = error.message;
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    });
  }

  runPass(options: { refreshInsights?: boolean } = {}): Promise<PassReport> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'pass', id, refreshInsights: options.refreshInsights === true });
    });
  }

  start(): void {
    this.worker.postMessage({ type: 'start' });
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
