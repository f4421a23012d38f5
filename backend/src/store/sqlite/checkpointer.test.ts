import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../testing/harness';
import { Checkpointer } from './checkpointer';
import { SqliteStore } from './sqliteStore';

const T0 = Date.UTC(2026, 10, 2);

/** The runs the database file holds by itself, its write-ahead log left behind. */
function runsInFileAlone(file: string, dir: string): number {
  const copy = path.join(dir, `alone-${Date.now()}.db`);
  fs.copyFileSync(file, copy);
  const alone = new SqliteStore({ file: copy });
  try {
    return alone.stats().executions;
  } finally {
    alone.close();
  }
}

describe('Checkpointer', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('when batches land while the writer defers its checkpoints, then the thread copies them into the database file, and empties the log once quiet', async () => {
    const file = path.join(tmp.dir, 'collector.db');
    const store = new SqliteStore({ file });
    store.deferCheckpoints(10_000);
    const runs = Array.from({ length: 500 }, (_, i) => ({
      id: `r-${i}`,
      workflow: 'Claims',
      startedAt: T0 + i,
      endedAt: T0 + i + 1000,
      status: 'completed' as const,
    }));
    store.ingest({ executions: runs, steps: [], samples: [] });
    // Without a checkpoint the file alone has none of them: they are in the log.
    expect(runsInFileAlone(file, tmp.dir)).toBe(0);

    const checkpointer = new Checkpointer(file, { intervalMs: 20 });
    try {
      let inFile = 0;
      for (let tries = 0; inFile < 500 && tries < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        inFile = runsInFileAlone(file, tmp.dir);
      }
      expect(inFile).toBe(500);
      // Once nothing is written for a while, the log file is emptied.
      let logBytes = fs.statSync(`${file}-wal`).size;
      for (let tries = 0; logBytes > 0 && tries < 200; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        logBytes = fs.statSync(`${file}-wal`).size;
      }
      expect(logBytes).toBe(0);
      // The writer goes on writing beside the thread.
      store.ingest({ executions: [{ id: 'after', workflow: 'Claims', startedAt: T0, status: 'running' }], steps: [], samples: [] });
      expect(store.stats().executions).toBe(501);
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);
    } finally {
      await checkpointer.stop();
      store.close();
    }
  });

  it('when it is stopped, then it answers the stop and copies nothing more, and stopping it again is harmless', async () => {
    const file = path.join(tmp.dir, 'stopped.db');
    const store = new SqliteStore({ file });
    store.deferCheckpoints(10_000);
    const checkpointer = new Checkpointer(file, { intervalMs: 20 });
    try {
      await checkpointer.stop();
      const run = (id: string) => ({ id, workflow: 'Claims', startedAt: T0, endedAt: T0 + 1000, status: 'completed' as const });
      store.ingest({ executions: Array.from({ length: 50 }, (_, i) => run(`s-${i}`)), steps: [], samples: [] });
      // Fifteen of its intervals: a thread still running would have copied the runs into the file.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(runsInFileAlone(file, tmp.dir)).toBe(0);
      await checkpointer.stop();
    } finally {
      await checkpointer.stop();
      store.close();
    }
  });
});
