import { AppError } from '../domain/errors';

/** Deepest nesting a request body may have: a batch needs 4 levels, tags one more. */
export const MAX_JSON_DEPTH = 16;

/**
 * The nesting depth of a JSON text, counted on the raw bytes before parsing: a body of a million
 * nested arrays must be refused, not handed to the parser's recursion.
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
