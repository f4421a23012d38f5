import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { AppError } from '../domain/errors';

/** Deepest nesting a request body may have: a batch needs 4 levels, tags one more. */
export const MAX_JSON_DEPTH = 16;

/**
 * The nesting depth of a JSON text, counted on the raw bytes: a body of a million nested arrays
 * must be refused before code that recurses (the schemas, error messages) walks it.
 * @throws AppError `bad_request` beyond `MAX_JSON_DEPTH`.
 */
export function assertJsonDepth(raw: Buffer, limit = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) throw new AppError('bad_request', `request body is nested deeper than ${limit} levels`);
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/*
 * JSON.parse itself does not recurse (V8 parses nesting of any depth), so the bytes are counted
 * only where the parsed body will be walked by code that does: every route but the usual ingest
 * batch, which `parseUsualBatch` recognises without recursion (and then it is 3 levels deep).
 * Counting every batch's bytes was a twentieth of the collector's time per record.
 */
const bodies = new WeakMap<IncomingMessage, Buffer>();

/** `express.json`'s `verify`: keeps the body's bytes for `assertBodyDepth`. */
export function keepBody(req: IncomingMessage, _res: unknown, raw: Buffer): void {
  bodies.set(req, raw);
}

/** @throws AppError `bad_request` when the request's JSON body is nested deeper than `MAX_JSON_DEPTH`. */
export function assertBodyDepth(req: IncomingMessage): void {
  const raw = bodies.get(req);
  if (raw) assertJsonDepth(raw);
}

/** Checks the depth of every JSON body but an ingest batch's: the ingest route checks those it does not recognise. */
export const bodyDepth: RequestHandler = (req, _res, next) => {
  if (!(req.method === 'POST' && req.path === '/ingest')) assertBodyDepth(req);
  next();
};
