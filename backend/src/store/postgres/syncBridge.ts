import path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { AppError, type ErrorCode, type ErrorDetail } from '../../domain/errors';

/** What a worker-side handler module exports: a factory of an object of async methods. */
export type HandlerFactory = (options: unknown) => Promise<Record<string, (...args: never[]) => Promise<unknown>>>;

interface Reply {
  id: number;
  value?: unknown;
  error?: { name?: string; code?: string; message: string; details?: ErrorDetail[] };
}

/**
 * Calls the async methods of a handler that lives in a worker thread, synchronously. The store
 * interface is synchronous (as better-sqlite3 is), and node-postgres is asynchronous: a store on
 * PostgreSQL runs node-postgres in a worker and waits for each answer on a shared flag
 * (`Atomics.wait`), so nothing above the store changes. A call costs a hop to the worker and back
 * beside the database's round trip, so the store makes one call per ingest batch or read.
 */
export class SyncBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private closed = false;

  /**
   * @param handlerModule absolute path of a module whose `createHandler` export is a `HandlerFactory`
   * @param options passed to `createHandler` (structured-cloneable)
   */
  constructor(
    handlerModule: string,
    options: unknown,
    private readonly timeoutMs = 30_000,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(path.join(__dirname, 'syncBridgeWorker.js'), {
      workerData: { handlerModule, options, port: port2, flag: this.flag },
      transferList: [port2],
    });
    // The worker keeps no event loop of ours alive: the store's `close` ends it.
    this.worker.unref();
  }

  /**
   * @throws AppError as the handler threw it (its code and details kept), Error otherwise;
   * Error when the worker does not answer within the timeout or the bridge is closed.
   */
  call<T>(method: string, ...args: unknown[]): T {
    if (this.closed) throw new Error(`store bridge is closed (called ${method})`);
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, method, args });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (!received) {
        // Nothing queued yet: sleep until the worker raises the flag (at once if it already has).
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
          throw new Error(`store worker did not answer ${method} within ${this.timeoutMs} ms`);
        }
        Atomics.store(this.flag, 0, 0);
        continue;
      }
      const reply = received.message as Reply;
      // A late reply to a call that timed out earlier: not this one's answer.
      if (reply.id !== id) continue;
      if (!reply.error) return reply.value as T;
      const e = reply.error;
      if (e.name === 'AppError' && e.code) throw new AppError(e.code as ErrorCode, e.message, e.details);
      const error = new Error(e.message);
      if (e.code) Object.assign(error, { code: e.code });
      throw error;
    }
  }

  /** Lets the handler close what it holds (its `close` method, if any), then ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.call('close');
    } finally {
      this.closed = true;
      this.port.close();
      await this.worker.terminate();
    }
  }
}
