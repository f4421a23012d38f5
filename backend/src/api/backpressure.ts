import type { RequestHandler } from 'express';
import { AppError } from '../domain/errors';

/**
 * Ingest requests in progress (from arrival to answer) are bounded: past `maxPending`, a request
 * gets 503 with Retry-After at once, before its body is read, instead of queueing in memory
 * without bound. The SDK and the agent wait as told and send the same batch again.
 */
export function ingestBackpressure(maxPending: number, retryAfterSeconds = 1): RequestHandler & { pending: () => number } {
  let pending = 0;
  const handler: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST' || !/^\/(ingest|executions\/[^/]+\/(start|steps|complete))$/.test(req.path)) return next();
    if (pending >= maxPending) {
      res.setHeader('Retry-After', String(retryAfterSeconds));
      return next(new AppError('unavailable', `the collector is busy writing (${pending} batches in progress): retry after ${retryAfterSeconds} s`));
    }
    pending++;
    let released = false;
    const release = () => {
      if (!released) pending--;
      released = true;
    };
    res.once('finish', release);
    res.once('close', release);
    next();
  };
  return Object.assign(handler, { pending: () => pending });
}
