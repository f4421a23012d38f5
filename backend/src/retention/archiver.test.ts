import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { closedPort, startCollector, tempDir } from '../testing/harness';
import { Archiver, readArchive } from './archiver';
import { runRestore } from './restoreCommand';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 27);
const ROOT = path.resolve(__dirname, '../../..');

function fill(store: SqliteStore): void {
  const executions = Array.from({ length: 40 }, (_, i) => ({
    id: `r${i}`,
    workflow: 'Claims',
    host: 'vm-1',
    startedAt: NOW - (i + 0.5) * DAY,
    endedAt: NOW - (i + 0.5) * DAY + 60_000,
    status: 'completed' as const,
  }));
  const steps = executions.map((e) => ({ executionId: e.id, index: 0, name: 'Login', startedAt: e.startedAt, durationMs: 900, status: 'completed' as const }));
  const samples = Array.from({ length: 40 }, (_, i) => ({
    host: 'vm-1',
    time: NOW - i * DAY,
    cpuPercent: i,
    memoryUsedBytes: 1,
    memoryTotalBytes: 2,
    diskReadBytesPerSec: 0,
    diskWriteBytesPerSec: 0,
    netRxBytesPerSec: 0,
    netTxBytesPerSec: 0,
  }));
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
        execFile(
          path.join(ROOT, 'node_modules/.bin/tsx'),
          [path.join(ROOT, 'backend/src/main.ts'), 'restore', '--url', target.url, ...report.files],
          { cwd: ROOT },
          (error, stdout, stderr) => (error ? reject(new Error(stderr)) : (expect(stdout).toContain('restored 10 runs from 3 archive file(s)'), resolve())),
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

  it('when runs are restored into the collector that archived them, then its rollups count them and their steps once', async () => {
    const tmp = tempDir();
    try {
      const store = SqliteStore.inDirectory(tmp.dir);
      fill(store);
      const totals = (rollups: Pick<SqliteStore, 'runRollups' | 'stepRollups'>) => {
        const range = { resolution: 3_600_000, from: 0, to: NOW };
        const runs = rollups.runRollups(range);
        const steps = rollups.stepRollups(range);
        return {
          runs: runs.reduce((n, r) => n + r.runs, 0),
          runMs: runs.reduce((n, r) => n + r.sumMs, 0),
          steps: steps.reduce((n, r) => n + r.steps, 0),
          stepMs: steps.reduce((n, r) => n + r.sumMs, 0),
        };
      };
      const before = totals(store);
      expect(before).toEqual({ runs: 40, runMs: 40 * 60_000, steps: 40, stepMs: 40 * 900 });
      // Raw rows kept 30 days, rollups for ever: ten runs archived in two files (19 and 10 records).
      const report = new Archiver(store, { rawDays: 30, rollupDays: 0, archiveDir: path.join(tmp.dir, 'archive'), chunk: 5 }).runOnce(NOW);
      expect(report.files).toHaveLength(2);
      store.close();

      const collector = await startCollector(tmp.dir);
      try {
        const lines: string[] = [];
        // A buffer of 20 records holds one file, not both (29); requests of 4 records send runs
        // ahead of their steps, which come back in later requests.
        const restore = () =>
          runRestore(['--url', collector.url, ...report.files], { maxBufferedRecords: 20, maxBatchRecords: 4, out: (line) => lines.push(line) });
        await restore();
        expect(lines.at(-1)).toBe('restored 10 runs from 2 archive file(s)');
        await restore();
        expect(totals(collector.store as SqliteStore)).toEqual(before);
        expect(collector.store.stats()).toMatchObject({ executions: 40, steps: 40 });
      } finally {
        await collector.stop();
      }
    } finally {
      tmp.cleanup();
    }
  }, 60_000);

  /** The restore command as a user runs it; its exit code and what it said on stderr. */
  const restoreCli = (args: string[]) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(
        path.join(ROOT, 'node_modules/.bin/tsx'),
        [path.join(ROOT, 'backend/src/main.ts'), 'restore', ...args],
        { cwd: ROOT },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
      ),
    );

  it('when a file to restore cannot be read, then the command exits 1 with one line saying which', async () => {
    const tmp = tempDir();
    const collector = await startCollector(tmp.dir);
    try {
      const outcome = await restoreCli(['--url', collector.url, '--token', 'ingest-token-0123456789', '/nonexistent/rpa-archive.jsonl.gz']);
      expect(outcome).toEqual({
        code: 1,
        stderr:
          "restore stopped: cannot read /nonexistent/rpa-archive.jsonl.gz as an archive (ENOENT: no such file or directory, open '/nonexistent/rpa-archive.jsonl.gz'); 0 runs from 0 earlier file(s) restored\n",
      });
    } finally {
      await collector.stop();
      tmp.cleanup();
    }
  }, 60_000);

  it('when `restore -- --url U --token T FILE...` is run against a collector that asks for a token, then it restores them', async () => {
    const tmp = tempDir();
    try {
      const store = SqliteStore.inDirectory(tmp.dir);
      fill(store);
      const report = new Archiver(store, { rawDays: 30, rollupDays: 0, archiveDir: path.join(tmp.dir, 'archive'), chunk: 5 }).runOnce(NOW);
      store.close();
      const collector = await startCollector(tmp.dir, { RPA_INGEST_TOKEN: 'ingest-token-0123456789', RPA_READ_TOKEN: 'read-token-0123456789x' });
      try {
        expect(collector.store.stats().executions).toBe(30);
        // Without the token the collector refuses it; with it, the ten archived runs come back.
        expect((await restoreCli(['--url', collector.url, ...report.files])).code).toBe(1);
        expect(await restoreCli(['--url', collector.url, '--token', 'ingest-token-0123456789', ...report.files])).toEqual({ code: 0, stderr: '' });
        expect(collector.store.stats().executions).toBe(40);
      } finally {
        await collector.stop();
      }
    } finally {
      tmp.cleanup();
    }
  }, 60_000);

  it('when no collector answers at the URL, then the command exits 1 at once with one line saying so', async () => {
    const port = await closedPort();
    expect(await restoreCli(['--url', `http://127.0.0.1:${port}`, '/nonexistent/rpa-archive.jsonl.gz'])).toEqual({
      code: 1,
      stderr: `no collector answers at http://127.0.0.1:${port} (ECONNREFUSED): start one with npm start, or pass its --url\n`,
    });
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

  it('when a write to the archive is short (a full disk), then the file is removed and nothing is deleted', () => {
    const tmp = tempDir();
    const realWrite = fs.writeSync;
    try {
      const store = new SqliteStore({ file: path.join(tmp.dir, 'c.db') });
      fill(store);
      const archiveDir = path.join(tmp.dir, 'archive');
      // The first write takes half of what it is given, as a nearly full disk does; the next fails.
      let calls = 0;
      const spy = jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Uint8Array, offset: number, length: number) => {
        if (++calls > 1) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        return realWrite(fd, buffer, offset, Math.floor(length / 2));
      }) as typeof fs.writeSync);
      const archiver = new Archiver(store, { rawDays: 30, rollupDays: 0, archiveDir });
      expect(() => archiver.runOnce(NOW)).toThrow(
        /^archive .*rpa-archive-.*\.jsonl\.gz not written \(ENOSPC: no space left on device, write\); nothing was deleted$/,
      );
      spy.mockRestore();
      expect(store.stats()).toMatchObject({ executions: 40, steps: 40, samples: 40 });
      expect(fs.readdirSync(archiveDir)).toEqual([]);
      store.close();
    } finally {
      jest.restoreAllMocks();
      tmp.cleanup();
    }
  });

  it('when a crash left a partial archive file, then the next pass removes it and archives the rows whole', () => {
    const tmp = tempDir();
    try {
      const store = new SqliteStore({ file: path.join(tmp.dir, 'd.db') });
      fill(store);
      const archiveDir = path.join(tmp.dir, 'archive');
      fs.mkdirSync(archiveDir);
      fs.writeFileSync(path.join(archiveDir, 'rpa-archive-2026-11-01T00-00-00-000Z-0000.jsonl.gz.partial'), 'cut short');
      const report = new Archiver(store, { rawDays: 30, rollupDays: 0, archiveDir }).runOnce(NOW);
      expect(fs.readdirSync(archiveDir).sort()).toEqual(report.files.map((f) => path.basename(f)).sort());
      expect(report.files.flatMap(readArchive).reduce((n, b) => n + b.executions.length, 0)).toBe(10);
      store.close();
    } finally {
      tmp.cleanup();
    }
  });

  // A real full disk: a 64 KiB tmpfs. Mounting needs root, as CI and this project's machines have;
  // elsewhere the short-write test above covers the same path.
  const mountable = process.getuid?.() === 0 && process.platform === 'linux';
  (mountable ? it : it.skip)('when the archive disk is full, then nothing is deleted and no partial file stays (a real tmpfs)', () => {
    const tmp = tempDir();
    const archiveDir = path.join(tmp.dir, 'small-disk');
    fs.mkdirSync(archiveDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', archiveDir]);
    const store = new SqliteStore({ file: path.join(tmp.dir, 'e.db') });
    try {
      // Rows that compress badly: random error messages, about 3 MB of archive.
      const noise = () => Array.from({ length: 2000 }, () => Math.random().toString(36).slice(2, 3)).join('');
      const executions = Array.from({ length: 1500 }, (_, i) => ({
        id: `big${i}`,
        workflow: 'Claims',
        startedAt: NOW - 40 * DAY + i,
        endedAt: NOW - 40 * DAY + i + 1000,
        status: 'failed' as const,
        errorMessage: noise(),
      }));
      store.ingest({ executions, steps: [], samples: [] });
      expect(() => new Archiver(store, { rawDays: 30, rollupDays: 0, archiveDir, chunk: 1500 }).runOnce(NOW)).toThrow(
        /not written \(.*\); nothing was deleted$/,
      );
      expect(store.stats().executions).toBe(1500);
      expect(fs.readdirSync(archiveDir)).toEqual([]);
    } finally {
      store.close();
      execFileSync('umount', [archiveDir]);
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
