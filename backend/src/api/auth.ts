import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Scope } from '../config';
import { AppError } from '../domain/errors';

/** What a route asks of a token: one scope, or any valid token (a path no route matches). */
export type Required = Scope | 'any';

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Bearer-token authentication with scopes; admin tokens may do everything. Each route states the
 * scope it needs (see `routeGuards`), so the scope checked is the one of the route express
 * matched, however the path was spelled. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`, so neither their content nor length leaks through timing. With no tokens
 * configured (loopback only, see config) every request is let through.
 */
export function authorizer(tokens: ReadonlyArray<{ token: string; scope: Scope }>): (required: Required) => RequestHandler {
  const known = tokens.map(({ token, scope }) => ({ digest: digest(token), scope }));
  return (required) => (req, res, next) => {
    if (known.length === 0) return next();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="rpa-analytics"');
      return next(
        new AppError(
          'unauthorized',
          header ? 'the Authorization header must be "Bearer <token>"' : 'an API token is required: send "Authorization: Bearer <token>"',
        ),
      );
    }
    const presented = digest(match[1]);
    let granted: Scope[] = [];
    for (const entry of known) {
      // Every entry is compared, whatever matched before: the time taken does not depend on which one does.
      if (timingSafeEqual(entry.digest, presented)) granted = [...granted, entry.scope];
    }
    if (granted.length === 0) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="rpa-analytics", error="invalid_token"');
      return next(new AppError('unauthorized', 'the API token is not valid'));
    }
    if (required !== 'any' && !granted.includes(required) && !granted.includes('admin')) {
      return next(
        new AppError(
          'forbidden',
          `this token has the ${granted.join(', ')} scope; ${req.method} ${req.baseUrl}${req.route?.path ?? req.path} needs ${required}`,
        ),
      );
    }
    next();
  };
}
