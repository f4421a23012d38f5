import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StoreLocation } from '../store/location';
import type { Store } from '../store/store';
import { Archiver, type RetentionReport, type RetentionSettings } from './archiver';

/**
 * Runs retention passes off the thread that answers ingest and panels: a pass over a month of
 * expired rows reads, compresses and deletes for many seconds. The thread has its own connection
 * (a store only this thread can open runs its passes here). One pass at a time.
 */
export class RetentionThread {
  private readonly worker?: Worker;
  private readonly archiver?: Archiver;
  private running?: { id: number; resolve: (report: RetentionReport) => void; reject: (error: Error) => void };
  private nextId = 1;

  constructor(
    store: Store,
    location: StoreLocation | undefined,
    settings: RetentionSettings,
    private readonly onProgress: (report: RetentionReport) => void = () => undefined,
  ) {
    if (!location) {
      this.archiver = new Archiver(store, settings);
      return;
    }
    this.worker = new Worker(path.join(__dirname, 'retentionWorker.js'), { workerData: { location, settings } });
    this.worker.unref();
    this.worker.on('message', (message: { id: number; progress?: RetentionReport; report?: RetentionReport; error?: string }) => {
      const running = this.running;
      if (!running || running.id !== message.id) return;
      if (message.progress) return this.onProgress(message.progress);
      this.running = undefined;
      if (message.report) running.resolve(message.report);
      else running.reject(new Error(message.error));
    });
    const fail = (error: Error) => {
      this.running?.reject(error);
      this.running = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`retention thread stopped (exit code ${code})`)));
  }

  /** One pass: archives and deletes expired raw rows, then expired rollups. */
  runOnce(now = Date.now()): Promise<RetentionReport> {
    if (this.archiver) return Promise.resolve(this.archiver.runOnce(now, this.onProgress));
    if (this.running) return Promise.reject(new Error('a retention pass is already running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.running = { id, resolve, reject };
      this.worker!.postMessage({ id, now });
    });
  }

  /** Stops the thread; a pass cut short deleted only rows it had archived whole. */
  async stop(): Promise<void> {
    await this.worker?.terminate();
  }
}
