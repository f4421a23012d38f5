import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import type { CollectorMetrics } from '../export/prometheus';

/** `GET /metrics` in Prometheus' text format (the read scope, like every read). */
export function metricsRouter(guards: RouteGuards, metrics: CollectorMetrics): Router {
  const router = strictRouter();
  router.get('/metrics', guards.read, async (_req, res) => {
    res.set('content-type', metrics.contentType).send(await metrics.text());
  });
  return router;
}
