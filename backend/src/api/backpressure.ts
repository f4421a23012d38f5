import type { RequestHandler } from 'express';
import { AppError } from '../domain/errors';

/**
 * Ingest requests in progress (from arrival to answer) are bounded: past `maxPending`, a request
 * gets 503 with Retry-After at once, before its body is read, instead of queueing in memory
 * without bound. The SDK and the agent wait as told and send the same batch again. One instance
 * guards every ingest route, so they share the bound.
 */
export function ingestBackpressure(maxPending: number, retryAfterSeconds = 1): RequestHandler {
  let pending = 0;
  return (_req, res, next) => {
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
}

/**
 * A body that does not arrive within `timeoutMs` of the request is cut off: 408, the connection
 * closed, and its ingest slot free again. A client trickling a byte every few seconds would
 * otherwise hold a slot until the server's request timeout, a minute later.
 */
export function bodyDeadline(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    if (req.readableEnded || req.headers['content-length'] === '0') return next();
    const timer = setTimeout(() => {
      if (req.readableEnded || res.headersSent) return;
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.socket.destroy());
      res
        .status(408)
        .json({ error: { code: 'request_timeout', message: `the request body did not arrive within ${timeoutMs / 1000} s; nothing was written` } });
    }, timeoutMs);
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    res.once('close', clear);
    next();
  };
}
