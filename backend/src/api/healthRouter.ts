import { Router } from 'express';
import type { SamplerStatus } from '../domain/types';
import type { Store } from '../store/store';
import { VERSION } from '../version';

/** `GET /health`: version, database reachability and freshness, sampler state. 503 when the database fails. */
export function healthRouter(store: Store, sampler: () => SamplerStatus, startedAt: number): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    let database: Record<string, unknown>;
    let ok = true;
    try {
      store.ping();
      const stats = store.stats();
      database = { ok: true, ...stats };
    } catch (error) {
      ok = false;
      database = { ok: false, error: (error as Error).message };
    }
    res.status(ok ? 200 : 503).json({
      status: ok ? 'ok' : 'degraded',
      version: VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      database,
      sampler: sampler(),
    });
  });
  return router;
}
