import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log';
import { WorkerCalls } from '../../threads/workerCalls';

/**
 * Checkpoints the collector's SQLite write-ahead log from a thread of its own, every
 * `intervalMs`: copying the log into the database file then costs the ingest thread nothing and
 * never stalls a batch, and a page written by many batches in between is copied once. The writer
 * keeps a larger automatic checkpoint as a backstop (`SqliteStore.deferCheckpoints`).
 */
export class Checkpointer {
  private readonly calls: WorkerCalls<'stop', true>;

  constructor(file: string, options: { intervalMs?: number; log?: Logger } = {}) {
    const worker = new Worker(path.join(__dirname, 'checkpointWorker.js'), { workerData: { file: path.resolve(file), intervalMs: options.intervalMs ?? 250 } });
    worker.unref();
    // A failed checkpoint is told, not answered (the worker's own timer ran it).
    this.calls = new WorkerCalls(worker, 'checkpoint thread', (message) =>
      options.log?.warn(
        { error: (message as { error?: { message?: string } }).error?.message },
        'background checkpoint failed; the writer checkpoints by itself past its limit',
      ),
    );
    worker.on('error', (error) => options.log?.warn({ err: error }, 'checkpoint thread stopped; the writer checkpoints by itself past its limit'));
  }

  /**
   * Asks the thread to stop its timer and close its connection, then ends it; a thread that does
   * not answer within a second is ended anyway (a checkpoint cut short is harmless: the log stays).
   */
  async stop(): Promise<void> {
    await this.calls.call('stop', { timeoutMs: 1000 }).catch(() => undefined);
    await this.calls.close();
  }
}
