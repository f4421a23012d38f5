import { Router } from 'express';
import type { CollectorMetrics } from '../export/prometheus';

/** `GET /metrics` in Prometheus' text format (the read scope, like every read). */
export function metricsRouter(metrics: CollectorMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.set('content-type', metrics.contentType).send(await metrics.text());
  });
  return router;
}
