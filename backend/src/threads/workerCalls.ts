import { parentPort, type Worker } from 'node:worker_threads';
import { AppError, type ErrorCode, type ErrorDetail } from '../domain/errors';

/**
 * The one request/response protocol between the collector and its worker threads (queries and
 * reports, analysis passes, retention passes; the store's synchronous bridge shares its errors):
 *
 *   caller → worker   { id, request }
 *   worker → caller   { id, value } | { id, error } | { id, progress } (any number, before the answer)
 *   either way        a message without an id is not a call: the other side's `onOther` has it
 */

/** An error as it crosses between threads (a structured clone keeps no class), rebuilt on the other side. */
export interface WireError {
  name?: string;
  /** An AppError's code, or a driver's (a PostgreSQL SQLSTATE). */
  code?: string;
  message: string;
  details?: ErrorDetail[];
}

/** An error as it is sent to the other thread. */
export function toWire(error: unknown): WireError {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; details?: ErrorDetail[] } | undefined;
  return {
    name: typeof e?.name === 'string' ? e.name : undefined,
    code: typeof e?.code === 'string' ? e.code : undefined,
    message: typeof e?.message === 'string' ? e.message : String(error),
    details: e?.details,
  };
}

/** The error the other thread threw: an AppError stays one (its code and details kept); others keep their code. */
export function fromWire(e: WireError): Error {
  if (e.name === 'AppError' && e.code) return new AppError(e.code as ErrorCode, e.message, e.details);
  const error = new Error(e.message);
  if (e.code) Object.assign(error, { code: e.code });
  return error;
}

interface Call<Res, Progress> {
  resolve(value: Res): void;
  reject(error: Error): void;
  onProgress?(progress: Progress): void;
  timer?: NodeJS.Timeout;
}

type Answer<Res, Progress> = { id: number; value: Res } | { id: number; error: WireError } | { id: number; progress: Progress };

/**
 * The calling side: each call numbered and answered once, by its value or its error, with the
 * progress the worker reports on the way. A worker that fails or exits rejects the calls it had,
 * and only those; a call given `timeoutMs` is rejected when no answer comes in time.
 */
export class WorkerCalls<Req, Res, Progress = never> {
  private readonly calls = new Map<number, Call<Res, Progress>>();
  private nextId = 1;
  /** Why the thread ended, once it has: later calls fail at once with it. */
  private ended?: Error;

  /**
   * @param what the worker, in errors: "query worker stopped (exit code 1)"
   * @param onOther what the worker sends that is not an answer (a pass its own timer ran)
   */
  constructor(
    readonly worker: Worker,
    private readonly what: string,
    onOther: (message: unknown) => void = () => undefined,
  ) {
    worker.on('message', (message: Answer<Res, Progress> | { id?: undefined }) => {
      if (message.id === undefined) return onOther(message);
      const call = this.calls.get(message.id);
      if (!call) return;
      if ('progress' in message) return call.onProgress?.(message.progress);
      this.forget(message.id);
      if ('error' in message) call.reject(fromWire(message.error));
      else call.resolve((message as { value: Res }).value);
    });
    worker.on('error', (error) => this.failAll((this.ended ??= error)));
    worker.on('exit', (code) => this.failAll((this.ended ??= new Error(`${what} stopped (exit code ${code})`))));
  }

  /** Calls sent and not answered yet. */
  get inFlight(): number {
    return this.calls.size;
  }

  call(request: Req, options: { timeoutMs?: number; onProgress?: (progress: Progress) => void } = {}): Promise<Res> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise<Res>((resolve, reject) => {
      const call: Call<Res, Progress> = { resolve, reject, onProgress: options.onProgress };
      if (options.timeoutMs !== undefined) {
        call.timer = setTimeout(() => {
          this.forget(id);
          reject(new Error(`${this.what} did not answer within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
      this.calls.set(id, call);
      this.worker.postMessage({ id, request });
    });
  }

  /** Sends a message that is no call (`{ type: 'start' }`): the worker's `onOther` has it, nothing answers. */
  notify(message: Record<string, unknown>): void {
    this.worker.postMessage(message);
  }

  /** Stops the thread; the calls still waiting are rejected. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private forget(id: number): void {
    const call = this.calls.get(id);
    if (call?.timer) clearTimeout(call.timer);
    this.calls.delete(id);
  }

  private failAll(error: Error): void {
    for (const [id, call] of [...this.calls]) {
      this.forget(id);
      call.reject(error);
    }
  }
}

/**
 * The worker's side: answers each numbered request with what `handle` returns, or the error it
 * throws, letting it report progress on the way; `onOther` has the messages that are not calls
 * (`{ type: 'start' }`). Calls are handled one at a time, in the order they came.
 */
export function answerCalls<Req, Res, Progress = never>(
  handle: (request: Req, progress: (progress: Progress) => void) => Res | Promise<Res>,
  onOther: (message: unknown) => void = () => undefined,
): void {
  const port = parentPort!;
  let queue = Promise.resolve();
  port.on('message', (message: { id?: number; request?: Req }) => {
    if (message.id === undefined) return onOther(message);
    const id = message.id;
    queue = queue.then(async () => {
      try {
        const value = await handle(message.request as Req, (progress) => port.postMessage({ id, progress }));
        port.postMessage({ id, value });
      } catch (error) {
        port.postMessage({ id, error: toWire(error) });
      }
    });
  });
}

/** A message a worker sends of its own accord (not an answer): its value or its error, without an id. */
export function tell<T>(outcome: { value: T } | { error: unknown }): void {
  parentPort!.postMessage('error' in outcome ? { error: toWire(outcome.error) } : outcome);
}
