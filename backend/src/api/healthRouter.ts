import fs from 'node:fs';
import path from 'node:path';
import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import type { SamplerStatus } from '@rpa-analytics/contract';
import type { AnalysisRunner } from '../engine/analysisRunner';
import type { Store } from '../store/store';
import { locationOf } from '../store/location';
import { VERSION } from '../version';

/** Below this much free space on the database's disk, the next batches may not fit: health says the disk is full. */
export const MIN_FREE_DISK_BYTES = 16 * 1024 * 1024;

/** Free bytes on the disk that holds the SQLite file (undefined for a database elsewhere). */
export function freeDiskBytes(store: Store): number | undefined {
  const location = locationOf(store);
  if (!location || !('file' in location)) return undefined;
  const stats = fs.statfsSync(path.dirname(location.file));
  return stats.bavail * stats.bsize;
}

/**
 * `GET /health` (and HEAD): version, database reachability, free disk and freshness, sampler
 * state, analysis lead. 503 when the database fails or its disk is full.
 */
export function healthRouter(
  guards: RouteGuards,
  store: Store,
  sampler: () => SamplerStatus,
  startedAt: number,
  analysis?: Pick<AnalysisRunner, 'leading' | 'lastPassAt'>,
  diskFree: () => number | undefined = () => freeDiskBytes(store),
): Router {
  const router = strictRouter();
  router.get('/health', guards.open, (_req, res) => {
    let database: Record<string, unknown>;
    let ok = true;
    try {
      store.ping();
      const stats = store.stats();
      const freeBytes = diskFree();
      const full = freeBytes !== undefined && freeBytes < MIN_FREE_DISK_BYTES;
      if (full) ok = false;
      database = {
        ok: !full,
        ...stats,
        ...(freeBytes !== undefined ? { diskFreeBytes: freeBytes } : {}),
        ...(full ? { error: `the disk is full (${freeBytes} bytes free): batches are refused until space is freed` } : {}),
      };
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
