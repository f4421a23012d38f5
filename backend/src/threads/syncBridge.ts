import path from 'node:path';
import { MessageChannel, type MessagePort, receiveMessageOnPort, type TransferListItem, Worker } from 'node:worker_threads';
import { AppError } from '../domain/errors';
import { fromWire, type WireError } from './workerCalls';

/** What a worker-side handler module exports: a factory of an object of async methods. */
export type HandlerFactory = (options: unknown) => Promise<Record<string, (...args: never[]) => Promise<unknown>>>;

interface Reply {
  id: number;
  value?: unknown;
  error?: WireError;
  /** What the handler had to tell since its last answer (`takeNotices`): a connection lost, or made again. */
  notices?: string[];
}

/**
 * Calls the async methods of a handler that lives in a worker thread, synchronously. The store
 * interface is synchronous (as better-sqlite3 is), and node-postgres is asynchronous: a store on
 * PostgreSQL runs node-postgres in a worker and waits for each answer on a shared flag
 * (`Atomics.wait`), so nothing above the store changes. A call costs a hop to the worker and back
 * beside the database's round trip, so the store makes one call per ingest batch or read.
 * A call can also be started and its answer waited for later (`begin`, `finish`), for work the
 * worker does while the caller does its own.
 */
export class SyncBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  /** Calls begun and not yet finished, with their answers once they came in another's wait. */
  private readonly pending = new Map<number, { method: string; reply?: Reply }>();
  private nextId = 1;
  private closed = false;
  /** Why the worker stopped, when it did. */
  private failure?: AppError;
  /** Whether its worker has stopped (its calls then fail at once with why). */
  get stopped(): boolean {
    return this.failure !== undefined;
  }

  /** Told what the handler has to say (its `takeNotices`), with the answer that carries it. */
  onNotice?: (notice: string) => void;

  /**
   * @param handlerModule absolute path of a module whose `createHandler` export is a `HandlerFactory`
   * @param options passed to `createHandler` (structured-cloneable)
   * @param name what the worker is, in errors ("store worker did not answer ...")
   */
  constructor(
    handlerModule: string,
    options: unknown,
    private readonly timeoutMs = 30_000,
    private readonly name = 'store',
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(path.join(__dirname, 'syncBridgeWorker.js'), {
      workerData: { handlerModule, options, port: port2, flag: this.flag, name },
      transferList: [port2],
    });
    // The worker keeps no event loop of ours alive: the store's `close` ends it.
    this.worker.unref();
    // A worker that dies (its handler threw outside any call) fails the calls after it with its
    // error (503 for a store), rather than taking this thread down with an unhandled 'error'.
    this.worker.on('error', (error) => {
      this.failure = new AppError('unavailable', `the ${this.name} worker stopped: ${error.message}`);
    });
    this.worker.on('exit', (code) => {
      this.failure ??= new AppError('unavailable', `the ${this.name} worker stopped (exit code ${code})`);
    });
  }

  /**
   * @throws AppError as the handler threw it (its code and details kept), Error otherwise;
   * Error when the worker does not answer within the timeout or the bridge is closed.
   */
  call<T>(method: string, ...args: unknown[]): T {
    return this.finish<T>(this.begin(method, args));
  }

  /**
   * Starts a call and returns at once with its id, for `finish`.
   * @param transfer buffers among `args` moved to the worker rather than copied (unusable here after)
   */
  begin(method: string, args: unknown[], transfer: TransferListItem[] = []): number {
    if (this.closed) throw new Error(`${this.name} bridge is closed (called ${method})`);
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    this.pending.set(id, { method });
    this.port.postMessage({ id, method, args }, transfer);
    return id;
  }

  /** Waits for the answer to a call `begin` started; errors as `call` throws them. */
  finish<T>(id: number, timeoutMs = this.timeoutMs): T {
    const call = this.pending.get(id);
    if (!call) throw new Error(`${this.name} bridge has no call ${id} waiting`);
    const deadline = Date.now() + timeoutMs;
    let reply = call.reply;
    while (!reply) {
      Atomics.store(this.flag, 0, 0);
      const received = receiveMessageOnPort(this.port);
      if (!received) {
        // Nothing queued yet: sleep until the worker raises the flag (at once if it already has).
        const left = deadline - Date.now();
        if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
          this.pending.delete(id);
          // A database too slow (or gone quiet) to answer: 503, the caller may try again.
          throw new AppError('unavailable', `${this.name} worker did not answer ${call.method} within ${timeoutMs} ms`);
        }
        continue;
      }
      const message = received.message as Reply;
      // A late reply to a call that timed out earlier is no one's answer; another begun call's is kept.
      if (message.id === id) reply = message;
      else {
        const other = this.pending.get(message.id);
        if (other) other.reply = message;
      }
    }
    this.pending.delete(id);
    if (reply.notices) for (const notice of reply.notices) this.onNotice?.(notice);
    if (!reply.error) return reply.value as T;
    throw fromWire(reply.error);
  }

  /** Ends the worker at once, whatever it is doing (a handler holding nothing to close, or one not answering). */
  async terminate(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    await this.worker.terminate();
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
