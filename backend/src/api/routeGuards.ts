import express, { Router, type RequestHandler } from 'express';
import type { Config } from '../config';
import { authorizer } from './auth';
import { bodyDeadline, ingestBackpressure } from './backpressure';
import { depthBeforeParsing, keepBody } from './jsonDepth';

/**
 * A router that matches paths as written: `/ingest/`, `/Ingest` and `//ingest` are no route, so a
 * path is one route or none, and a route's guard is the only one that applies to it.
 */
export const strictRouter = (): Router => Router({ caseSensitive: true, strict: true });

/** A guard fits any route: its path's parameters are typed by the route, not by the guard. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Guard = RequestHandler<any, any, any, any>;

/**
 * What every route is behind, stated where the route is declared: who may call it and how its
 * body is read. A request is authenticated before its body is read, and ingest requests are
 * counted against the ingest bound before theirs is.
 */
export interface RouteGuards {
  /** No token needed (health checks of load balancers and containers); small bodies. */
  open: Guard;
  /** Read scope; small bodies, their depth checked before parsing. */
  read: Guard;
  /** Admin scope (on-demand analysis, recording implementations); small bodies. */
  admin: Guard;
  /** Ingest scope, for batches: in-progress bound, a body deadline, large bodies. */
  ingestBatch: Guard;
  /** Ingest scope, for one run's events: the same bound and deadline, small bodies. */
  ingest: Guard;
  /**
   * No token (a platform's webhook cannot send one): the route checks its signature header before
   * this, and the signature of the raw body (`req.body`, bytes as sent: not inflated) after. A
   * pool of its own (8 at a time) and small bodies: unsigned callers cannot take ingest's slots.
   */
  signedIngest: Guard;
  /**
   * Ingest scope, for OpenTelemetry exporters: the same bound and deadline as batches, their body
   * as bytes (protobuf or JSON, gzip inflated, at most `RPA_MAX_BODY_BYTES` once inflated).
   */
  otlp: Guard;
  /** Behind every router: a path no route matches needs a valid token before it is told so. */
  unmatched: RequestHandler;
}

export function routeGuards(config: Pick<Config, 'tokens' | 'limits'>): RouteGuards {
  const authorize = authorizer(config.tokens);
  const { limits } = config;
  const smallBody = express.json({ limit: limits.maxQueryBodyBytes, strict: true, verify: depthBeforeParsing });
  const backpressure = ingestBackpressure(limits.maxPendingIngest);
  const deadline = bodyDeadline(limits.ingestBodyTimeoutMs);
  return {
    open: smallBody,
    read: inOrder(authorize('read'), smallBody),
    admin: inOrder(authorize('admin'), smallBody),
    ingestBatch: inOrder(authorize('ingest'), backpressure, deadline, express.json({ limit: limits.maxBodyBytes, strict: true, verify: keepBody })),
    ingest: inOrder(authorize('ingest'), backpressure, deadline, smallBody),
    signedIngest: inOrder(
      ingestBackpressure(Math.min(8, limits.maxPendingIngest)),
      deadline,
      express.raw({ type: () => true, limit: limits.maxQueryBodyBytes, inflate: false }),
    ),
    otlp: inOrder(authorize('ingest'), backpressure, deadline, express.raw({ type: () => true, limit: limits.maxBodyBytes })),
    unmatched: authorize('any'),
  };
}

/** One middleware that runs `handlers` in order, stopping at the first that passes an error on. */
function inOrder(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let at = 0;
    const step = (error?: unknown): void => {
      if (error !== undefined || at === handlers.length) return next(error);
      try {
        handlers[at++](req, res, step);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
