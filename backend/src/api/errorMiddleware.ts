import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../domain/errors';
import type { Logger } from '../log';

/** Errors body-parser raises, by its `type`, turned into the collector's own. */
function fromBodyParser(error: { type?: string; limit?: number; message: string }): AppError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new AppError('payload_too_large', `request body is larger than the ${error.limit} bytes this route accepts; send less at a time`);
    case 'entity.parse.failed':
      return new AppError('bad_request', `request body is not valid JSON: ${error.message}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', error.message);
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('bad_request', error.message);
    default:
      return undefined;
  }
}

/**
 * SQLite's failures that are about the disk or another writer, not the request: the batch was not
 * written (its transaction rolled back) and can be sent again once the cause is gone.
 */
function fromDatabase(error: { code?: string; message: string }): AppError | undefined {
  switch (error.code) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new AppError('unavailable', 'the database is locked by another process; nothing was written, retry shortly');
    case 'SQLITE_READONLY':
      return new AppError('unavailable', 'the database is read-only (file permissions or a read-only disk); nothing was written');
    case 'SQLITE_FULL':
      return new AppError('unavailable', 'the disk is full; nothing was written: free space, then retry');
    case 'SQLITE_IOERR':
      return new AppError('unavailable', `the database could not be written (${error.message}); nothing was written`);
    default:
      return undefined;
  }
}

/**
 * Errors of a request the client got wrong before any route ran: a path with a broken
 * percent-escape (the router's URIError), a compressed body that does not decompress (gzip,
 * deflate, brotli: body-parser marks what its decompressor threw as a 400 and keeps its code).
 */
function fromMalformedRequest(error: { code?: string; name?: string; status?: number; message: string }): AppError | undefined {
  if (error.name === 'URIError' || (error.status === 400 && /decode param/i.test(error.message)))
    return new AppError('bad_request', `request path is not valid: ${error.message}`);
  if (typeof error.code === 'string' && (error.code.startsWith('Z_') || (error.status === 400 && error.code.startsWith('ERR_')))) {
    return new AppError('bad_request', `request body does not decompress as its Content-Encoding says (${error.code})`);
  }
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500)
    return new AppError('bad_request', `request could not be read: ${error.message}`);
  return undefined;
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.originalUrl.split('?')[0]}`));
};

/** The one place where errors become HTTP responses: `{error: {code, message, details?}}`. */
export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    // The request was already answered (a body cut off at its deadline): nothing more to say.
    if (res.headersSent) return;
    // body-parser wraps what its verify step throws; the AppError inside says what was wrong.
    const cause = (error as { type?: string; cause?: unknown }).type === 'entity.verify.failed' ? ((error as { cause?: unknown }).cause ?? error) : error;
    const appError =
      cause instanceof AppError
        ? cause
        : (fromBodyParser(cause as { type?: string; limit?: number; message: string }) ??
          fromDatabase(cause as { code?: string; message: string }) ??
          fromMalformedRequest(cause as { code?: string; message: string }));
    if (appError) {
      if (appError.code === 'unavailable' && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '5');
      // Busy, locked or full: the client is told to retry, and the log says why without a stack.
      if (appError.code === 'unavailable') log.warn({ path: req.path, reason: appError.message }, 'request refused for now (503)');
      else if (appError.httpStatus >= 500) log.error({ err: error, path: req.path }, appError.message);
      res.status(appError.httpStatus).json({
        error: { code: appError.code, message: appError.message, ...(appError.details ? { details: appError.details } : {}) },
      });
      return;
    }
    log.error({ err: error, method: req.method, path: req.path }, 'unhandled error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; the collector log has the details' } });
  };
}
