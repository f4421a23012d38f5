import type { RequestHandler } from 'express';

/**
 * Headers for an API that only programs call: nothing to frame, sniff, cache or refer to. No CORS
 * headers at all: browsers refuse cross-origin calls, and Grafana reaches the collector through
 * its server-side data source proxy, which CORS does not concern.
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  next();
};
