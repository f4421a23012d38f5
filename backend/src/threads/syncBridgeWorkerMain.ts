import { type MessagePort, workerData } from 'node:worker_threads';
import type { HandlerFactory } from './syncBridge';
import { toWire } from './workerCalls';

const { handlerModule, options, port, flag, name } = workerData as {
  handlerModule: string;
  options: unknown;
  port: MessagePort;
  flag: Int32Array;
  name: string;
};

type Handler = Awaited<ReturnType<HandlerFactory>>;

/** Answers on the port first, then raises the flag the caller waits on. */
function answer(reply: { id: number; [field: string]: unknown }): void {
  inFlight.delete(reply.id);
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

// Calls queue on the port until the handler is ready; a handler that cannot start fails each.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a module named at run time, loaded through tsx's hook
const ready: Promise<Handler> = (async () => (require(handlerModule) as { createHandler: HandlerFactory }).createHandler(options))();
ready.catch(() => undefined);

/** What the handler has to tell the caller since its last answer (`takeNotices`, when it has one). */
function notices(handler: Handler | undefined): { notices?: string[] } {
  // Answered at once, not awaited: the handler keeps them as they happen.
  const taken = (handler?.takeNotices as (() => string[]) | undefined)?.call(handler);
  return taken?.length ? { notices: taken } : {};
}

/** Calls begun and not yet answered. */
const inFlight = new Set<number>();

// Something thrown outside any call (an event no one listens to) ends this worker: the calls
// waiting on it get an answer saying so at once, rather than waiting out their timeout.
process.on('uncaughtException', (error) => {
  for (const id of inFlight) answer({ id, error: { name: 'AppError', code: 'unavailable', message: `the ${name} worker stopped: ${error.message}` } });
  inFlight.clear();
  throw error;
});

port.on('message', async ({ id, method, args }: { id: number; method: string; args: unknown[] }) => {
  inFlight.add(id);
  try {
    const handler = await ready;
    if (method === 'close' && !handler.close) return answer({ id, value: undefined });
    const fn = handler[method];
    if (typeof fn !== 'function') throw new Error(`the ${name} worker has no method ${method}`);
    const value = await (fn as (...a: unknown[]) => Promise<unknown>).apply(handler, args);
    answer({ id, value, ...notices(handler) });
  } catch (error) {
    answer({ id, error: toWire(error), ...notices(await ready.catch(() => undefined)) });
  }
});
