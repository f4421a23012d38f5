import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Scope } from '../config';
import { AppError } from '../domain/errors';

/**
 * The scope a request needs: ingest for writing runs, admin for running the analysis and
 * recording implementations, read for everything else (metrics too). The health check is open (load
 * balancers and container health checks call it without a token).
 */
export function requiredScope(method: string, path: string): Scope | undefined {
  if (method === 'GET' && path === '/health') return undefined;
  if (method === 'POST' && (path === '/ingest' || /^\/executions\/[^/]+\/(start|steps|complete)$/.test(path))) return 'ingest';
  if (method === 'POST' && (path === '/analysis/run' || /^\/insights\/[^/]+\/implemented$/.test(path))) return 'admin';
  return 'read';
}

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Bearer-token authentication with scopes; admin tokens may do everything. Tokens are compared
 * as SHA-256 digests with `timingSafeEqual`, so neither their content nor length leaks through
 * timing. With no tokens configured (loopback only, see config) every request is let through.
 */
export function authenticate(tokens: ReadonlyArray<{ token: string; scope: Scope }>): RequestHandler {
  const known = tokens.map(({ token, scope }) => ({ digest: digest(token), scope }));
  return (req, res, next) => {
    const scope = requiredScope(req.method, req.path);
    if (known.length === 0 || scope === undefined) return next();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="rpa-analytics"');
      return next(new AppError('unauthorized', header ? 'the Authorization header must be "Bearer <token>"' : 'an API token is required: send "Authorization: Bearer <token>"'));
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
    if (!granted.includes(scope) && !granted.includes('admin')) {
      return next(new AppError('forbidden', `this token has the ${granted.join(', ')} scope; ${req.method} ${req.baseUrl}${req.path} needs ${scope}`));
    }
    next();
  };
}
