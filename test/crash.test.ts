import path from 'node:path';
import Database from 'better-sqlite3';
import { spawnCollector } from '../backend/src/testing/collectorProcess';
import { tempDir } from '../backend/src/testing/harness';

const T0 = Date.UTC(2026, 10, 2);

describe('a crash during sustained ingest', () => {
  it('when the collector is killed with SIGKILL, then after a restart every acknowledged batch is there and the database is sound', async () => {
    const tmp = tempDir();
    try {
      const { child, url } = await spawnCollector({ RPA_DATA_DIR: tmp.dir, RPA_ANALYSIS: 'off' });
      const acknowledged: string[] = [];
      let sent = 0;
      let stop = false;
      // Killed in full flow, once 2000 runs are acknowledged (polled: a loaded machine takes longer, never less).
      const killer = setInterval(() => {
        if (acknowledged.length < 2000) return;
        clearInterval(killer);
        stop = true;
        child.kill('SIGKILL');
      }, 20);
      // Two clients, as robots would be, posting batches of 50 runs with 5 steps each until the kill.
      await Promise.all(
        [0, 1].map(async (client) => {
          for (let b = 0; !stop; b++) {
            const ids = Array.from({ length: 50 }, (_, i) => `c${client}-b${b}-r${i}`);
            const batch = {
              executions: ids.map((id, i) => ({
                id,
                workflow: `W${i % 5}`,
                startedAt: T0 + b * 1000 + i,
                endedAt: T0 + b * 1000 + i + 700,
                status: 'completed',
              })),
              steps: ids.flatMap((id) =>
                Array.from({ length: 5 }, (_, s) => ({ executionId: id, index: s, name: `S${s}`, startedAt: T0 + b * 1000 + s, durationMs: 100 })),
              ),
            };
            sent++;
            try {
              const response = await fetch(`${url}/api/v1/ingest`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(batch),
              });
              await response.arrayBuffer();
              if (response.ok) acknowledged.push(...ids);
            } catch {
              // The connection died with the process: not acknowledged, may or may not be stored.
            }
          }
        }),
      );
      clearInterval(killer);
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      expect(child.signalCode).toBe('SIGKILL');
      expect(acknowledged.length).toBeGreaterThanOrEqual(2000);

      const restarted = await spawnCollector({ RPA_DATA_DIR: tmp.dir, RPA_ANALYSIS: 'off' });
      const health = (await (await fetch(`${restarted.url}/api/v1/health`)).json()) as { database: { executions: number; steps: number } };
      restarted.child.kill('SIGTERM');
      await new Promise((resolve) => restarted.child.once('exit', resolve));

      const db = new Database(path.join(tmp.dir, 'rpa-analytics.db'), { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const stored = new Set(db.prepare('SELECT ext_id FROM executions').pluck().all() as string[]);
      const missing = acknowledged.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      // Whole batches or nothing: every stored run has its 5 steps.
      expect(db.prepare('SELECT count(*) FROM executions e LEFT JOIN run_steps s ON s.execution_id = e.id WHERE coalesce(s.count, 0) <> 5').pluck().get()).toBe(
        0,
      );
      expect(health.database.executions).toBe(stored.size);
      expect(stored.size).toBeLessThanOrEqual(sent * 50);
      db.close();
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});
