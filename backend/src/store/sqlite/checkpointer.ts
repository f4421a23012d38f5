import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log';

/**
 * Checkpoints the collector's SQLite write-ahead log from a thread of its own, every
 * `intervalMs`: copying the log into the database file then costs the ingest thread nothing and
 * never stalls a batch, and a page written by many batches in between is copied once. The writer
 * keeps a larger automatic checkpoint as a backstop (`SqliteStore.deferCheckpoints`).
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, options: { intervalMs?: number; log?: Logger } = {}) {
    this.worker = new Worker(path.join(__dirname, 'checkpointWorker.js'), { workerData: { file: path.resolve(file), intervalMs: options.intervalMs ?? 250 } });
    this.worker.unref();
    this.worker.on('message', (message: { error: string }) =>
      options.log?.warn({ error: message.error }, 'background checkpoint failed; the writer checkpoints by itself past its limit'),
    );
    this.worker.on('error', (error) => options.log?.warn({ err: error }, 'checkpoint thread stopped; the writer checkpoints by itself past its limit'));
  }

  /** Stops the thread; a checkpoint cut short is harmless (the log stays until the next one). */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}
