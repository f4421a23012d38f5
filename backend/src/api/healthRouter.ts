import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import type { SamplerStatus } from '../domain/types';
import type { AnalysisRunner } from '../engine/analysisRunner';
import type { Store } from '../store/store';
import { VERSION } from '../version';

/** `GET /health`: version, database reachability and freshness, sampler state, analysis lead. 503 when the database fails. */
export function healthRouter(guards: RouteGuards, store: Store, sampler: () => SamplerStatus, startedAt: number, analysis?: Pick<AnalysisRunner, 'leading' | 'lastPassAt'>): Router {
  const router = strictRouter();
  router.get('/health', guards.open, (_req, res) => {
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
      // Collectors sharing a database: which of them runs the analysis passes.
      ...(analysis ? { analysis: { leading: analysis.leading, lastPassAt: analysis.lastPassAt ?? null } } : {}),
    });
  });
  return router;
}
