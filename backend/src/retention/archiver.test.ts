import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { startCollector, tempDir } from '../testing/harness';
import { Archiver, readArchive } from './archiver';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 27);
const ROOT = path.resolve(__dirname, '../../..');

function fill(store: SqliteStore): void {
  const executions = Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, workflow: 'Claims', host: 'vm-1', startedAt: NOW - (i + 0.5) * DAY, endedAt: NOW - (i + 0.5) * DAY + 60_000, status: 'completed' as const }));
  const steps = executions.map((e) => ({ executionId: e.id, index: 0, name: 'Login', startedAt: e.startedAt, durationMs: 900, status: 'completed' as const }));
  const samples = Array.from({ length: 40 }, (_, i) => ({ host: 'vm-1', time: NOW - i * DAY, cpuPercent: i, memoryUsedBytes: 1, memoryTotalBytes: 2, diskReadBytesPerSec: 0, diskWriteBytesPerSec: 0, netRxBytesPerSec: 0, netTxBytesPerSec: 0 }));
  store.ingest({ executions, steps, samples });
}

describe('retention and archive', () => {
  it('archives expired raw rows to compressed files, then deletes exactly them; a restore brings them back', async () => {
    const tmp = tempDir();
    try {
      const store = new SqliteStore({ file: path.join(tmp.dir, 'a.db') });
      fill(store);
      const before = store.listExecutions({ limit: 1000 }).items;
      const report = new Archiver(store, { rawDays: 30, rollupDays: 0, archiveDir: path.join(tmp.dir, 'archive'), chunk: 4 }).runOnce(NOW);
      // Runs started 30.5 to 39.5 days ago are expired: ten, in files of at most four (4, 4, 2).
      expect(report).toMatchObject({ archivedRuns: 10, archivedSamples: 9 });
      expect(report.files).toHaveLength(3);
      expect(store.stats()).toMatchObject({ executions: 30, steps: 30, samples: 31 });
      const archived = report.files.flatMap(readArchive);
      expect(archived.flatMap((b) => b.executions.map((e) => e.id)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i + 30}`).sort());
      store.close();

      // Restore into a collector over HTTP, with the command a user runs.
      const target = await startCollector(path.join(tmp.dir, 'restored'));
      await new Promise<void>((resolve, reject) =>
        execFile(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'backend/src/main.ts'), 'restore', '--url', target.url, ...report.files], { cwd: ROOT }, (error, stdout, stderr) =>
          error ? reject(new Error(stderr)) : (expect(stdout).toContain('restored 10 runs from 3 archive file(s)'), resolve()),
        ),
      );
      for (const id of ['r30', 'r39']) {
        const { resources: _r, ...restored } = target.store.getExecution(id)!;
        const original = before.find((e) => e.id === id)!;
        expect(restored).toMatchObject(original);
        expect(restored.steps).toHaveLength(1);
      }
      await target.stop();
    } finally {
      tmp.cleanup();
    }
  }, 60_000);

  it('when the archive cannot be written, then nothing is deleted', () => {
    const tmp = tempDir();
    try {
      const store = new SqliteStore({ file: path.join(tmp.dir, 'b.db') });
      fill(store);
      // The archive "directory" is a file: every write fails.
      fs.writeFileSync(path.join(tmp.dir, 'not-a-dir'), '');
      const archiver = new Archiver(store, { rawDays: 30, rollupDays: 0, archiveDir: path.join(tmp.dir, 'not-a-dir') });
      expect(() => archiver.runOnce(NOW)).toThrow();
      expect(store.stats()).toMatchObject({ executions: 40, steps: 40, samples: 40 });
      store.close();
    } finally {
      tmp.cleanup();
    }
  });

  it('deletes rollups past their own lifetime', () => {
    const store = new SqliteStore({ file: ':memory:' });
    fill(store);
    expect(new Archiver(store, { rawDays: 0, rollupDays: 10, archiveDir: '/nonexistent' }).runOnce(NOW).deletedRollups).toBeGreaterThan(0);
    const hours = store.runRollups({ resolution: 3_600_000, from: 0, to: NOW });
    expect(hours.every((r) => r.bucket >= NOW - 10 * DAY)).toBe(true);
    store.close();
  });
});
