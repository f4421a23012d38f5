import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { StoreLocation } from '../store/location';
import type { RetentionStore } from '../store/store';
import { WorkerCalls } from '../threads/workerCalls';
import { Archiver, type RetentionReport, type RetentionSettings } from './archiver';

/**
 * Runs retention passes off the thread that answers ingest and panels: a pass over a month of
 * expired rows reads, compresses and deletes for many seconds. The thread has its own connection
 * (a store only this thread can open runs its passes here). One pass at a time.
 */
export class RetentionThread {
  private readonly calls?: WorkerCalls<{ now: number }, RetentionReport, RetentionReport>;
  private readonly archiver?: Archiver;

  constructor(
    store: RetentionStore,
    location: StoreLocation | undefined,
    settings: RetentionSettings,
    private readonly onProgress: (report: RetentionReport) => void = () => undefined,
  ) {
    if (!location) {
      this.archiver = new Archiver(store, settings);
      return;
    }
    const worker = new Worker(path.join(__dirname, 'retentionWorker.js'), { workerData: { location, settings } });
    worker.unref();
    this.calls = new WorkerCalls(worker, 'retention thread');
  }

  /** One pass: archives and deletes expired raw rows, then expired rollups. */
  runOnce(now = Date.now()): Promise<RetentionReport> {
    if (this.archiver) return Promise.resolve(this.archiver.runOnce(now, this.onProgress));
    if (this.calls!.inFlight > 0) return Promise.reject(new Error('a retention pass is already running'));
    return this.calls!.call({ now }, { onProgress: this.onProgress });
  }

  /** Stops the thread; a pass cut short deleted only rows it had archived whole. */
  async stop(): Promise<void> {
    await this.calls?.close();
  }
}
