import type { IncomingMessage } from 'node:http';
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
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
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
 * The bytes are counted before they are parsed, on every route but ingest: a body nested a
 * million levels deep costs V8's parser seconds, and such bodies are refused first. Ingest
 * batches are counted only when they are not the usual shape (`parseUsualBatch` recognises that
 * without recursion, and then it is 3 levels deep): counting every batch's bytes was a twentieth
 * of the collector's time per record. An ingest body is parsed first, within its own size limit
 * and from an ingest token only (see docs/security.md).
 */
const bodies = new WeakMap<IncomingMessage, Buffer>();

/** `express.json`'s `verify` for ingest: keeps the body's bytes for `assertBodyDepth`. */
export function keepBody(req: IncomingMessage, _res: unknown, raw: Buffer): void {
  bodies.set(req, raw);
}

/** `express.json`'s `verify` for every other route: refuses a body nested too deep before it is parsed. */
export function depthBeforeParsing(_req: IncomingMessage, _res: unknown, raw: Buffer): void {
  assertJsonDepth(raw);
}

/** @throws AppError `bad_request` when the request's JSON body is nested deeper than `MAX_JSON_DEPTH`. */
export function assertBodyDepth(req: IncomingMessage): void {
  const raw = bodies.get(req);
  if (raw) assertJsonDepth(raw);
}
