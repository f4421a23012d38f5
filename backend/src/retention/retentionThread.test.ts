import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { startCollector, tempDir } from '../testing/harness';

const DAY = 86_400_000;

describe('retention in a thread of its own', () => {
  it('when a long retention pass runs, then the collector answers requests in the middle of it', async () => {
    const tmp = tempDir();
    const now = Date.now();
    // 40 days of runs, 39 of them expired with one day's retention: eight archive files of up to 5,000 runs.
    const store = new SqliteStore({ file: path.join(tmp.dir, 'rpa-analytics.db') });
    for (let day = 1; day <= 40; day++) {
      const executions = Array.from({ length: 1000 }, (_, i) => ({
        id: `d${day}-${i}`,
        workflow: `W${i % 20}`,
        host: `h${i % 5}`,
        startedAt: now - day * DAY + 3_600_000 + i * 60,
        endedAt: now - day * DAY + 3_600_000 + i * 60 + 5000,
        status: 'completed' as const,
      }));
      store.ingest({
        executions,
        steps: executions.map((e) => ({ executionId: e.id, index: 0, name: 'Open', startedAt: e.startedAt, durationMs: 900, status: 'completed' as const })),
        samples: [],
      });
    }
    store.close();
    const reader = new SqliteStore({ file: path.join(tmp.dir, 'rpa-analytics.db'), readonly: true });
    const total = reader.stats().executions;
    const kept = 1000; // the runs of the last day
    const collector = await startCollector(tmp.dir, { RPA_RAW_RETENTION_DAYS: '1' });
    try {
      // Health asked again and again while the pass runs; each answer notes how many runs the database held then.
      const heldWhenAnswered: number[] = [];
      const ceiling = Date.now() + 120_000;
      for (;;) {
        const response = await fetch(`${collector.url}/api/v1/health`);
        expect(response.status).toBe(200);
        await response.body?.cancel();
        const held = reader.stats().executions;
        heldWhenAnswered.push(held);
        if (held === kept || Date.now() > ceiling) break;
      }
      expect(heldWhenAnswered.at(-1)).toBe(kept);
      // Answered with the pass part done: neither before it started nor after it ended.
      expect(heldWhenAnswered.some((held) => held < total && held > kept)).toBe(true);
      expect(fs.readdirSync(path.join(tmp.dir, 'archive'))).toHaveLength(8);
    } finally {
      await collector.stop();
      reader.close();
      tmp.cleanup();
    }
  }, 180_000);
});
