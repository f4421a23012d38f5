import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { postJson, startCollector, tempDir, withCollector } from '../testing/harness';

const T0 = Date.UTC(2026, 10, 2);
const run = (id: string) => ({ executions: [{ id, workflow: 'Claims', startedAt: T0, endedAt: T0 + 1000, status: 'completed' }] });

describe('database failures', () => {
  it('when another process holds the write lock, then ingest answers 503 with Retry-After, and recovers once it is released', async () => {
    await withCollector({ RPA_DB_BUSY_TIMEOUT_MS: '200' }, async (collector, dataDir) => {
      const other = new Database(path.join(dataDir, 'rpa-analytics.db'));
      other.exec('BEGIN EXCLUSIVE');
      const locked = await postJson(`${collector.url}/api/v1/ingest`, run('while-locked'));
      expect(locked.status).toBe(503);
      expect(locked.headers.get('retry-after')).toBe('5');
      expect(locked.body.error.message).toBe('the database is locked by another process; nothing was written, retry shortly');
      other.exec('ROLLBACK');
      other.close();
      expect((await postJson(`${collector.url}/api/v1/ingest`, run('while-locked'))).status).toBe(200);
      expect(collector.store.getExecution('while-locked')).toBeDefined();
    });
  });

  it('when the disk is full, then ingest answers 503 saying so, nothing is half-written, and it recovers when space returns', async () => {
    await withCollector({}, async (collector) => {
      // SQLite's own "database or disk is full", by capping the pages this connection may use.
      const db = (collector.store as unknown as { db: Database.Database }).db;
      const pages = db.pragma('page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 2}`);
      const big = {
        executions: Array.from({ length: 2000 }, (_, i) => ({
          id: `full-${i}`,
          workflow: 'Claims',
          startedAt: T0 + i,
          endedAt: T0 + i + 1000,
          status: 'completed',
          errorMessage: `message ${i} ${'x'.repeat(200)}`,
        })),
      };
      const refused = await postJson(`${collector.url}/api/v1/ingest`, big);
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toBe('the disk is full; nothing was written: free space, then retry');
      expect(collector.store.getExecution('full-0')).toBeUndefined();
      db.pragma('max_page_count = 1073741823');
      expect((await postJson(`${collector.url}/api/v1/ingest`, big)).status).toBe(200);
      expect(collector.store.stats().executions).toBe(2000);
    });
  });

  it('when the database file turns read-only, then ingest answers 503 saying so, and recovers when it is writable again', async () => {
    await withCollector({}, async (collector, dataDir) => {
      expect((await postJson(`${collector.url}/api/v1/ingest`, run('before'))).status).toBe(200);
      // CI runs as root, which file permissions do not stop: SQLite's own read-only error comes
      // instead from a write through a read-only connection, in place of the collector's writer.
      const store = collector.store as unknown as { writer: { write: (b: unknown) => unknown } };
      const original = store.writer.write.bind(store.writer);
      const readonly = new Database(path.join(dataDir, 'rpa-analytics.db'), { readonly: true });
      store.writer.write = () => {
        readonly.prepare("INSERT INTO workflows(name) VALUES ('x')").run();
        return original({});
      };
      const refused = await postJson(`${collector.url}/api/v1/ingest`, run('during'));
      expect(refused.status).toBe(503);
      expect(refused.body.error.message).toMatch(/^the database is read-only/);
      store.writer.write = original;
      readonly.close();
      expect((await postJson(`${collector.url}/api/v1/ingest`, run('after'))).status).toBe(200);
      expect(fs.existsSync(path.join(dataDir, 'rpa-analytics.db'))).toBe(true);
    });
  });

  // A real disk that fills up: a 32 MiB tmpfs. Mounting needs root, as CI and this project's machines have.
  const mountable = process.getuid?.() === 0 && process.platform === 'linux';
  (mountable ? it : it.skip)('when the disk under the database fills up, then health says so with 503 until space returns', async () => {
    const tmp = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', tmp.dir]);
    let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
    try {
      collector = await startCollector(tmp.dir);
      const health = async () => {
        const response = await fetch(`${collector!.url}/api/v1/health`);
        return {
          status: response.status,
          body: (await response.json()) as { status: string; database: { ok: boolean; error?: string; diskFreeBytes?: number } },
        };
      };
      const roomy = await health();
      expect([roomy.status, roomy.body.database.ok]).toEqual([200, true]);
      expect(roomy.body.database.diskFreeBytes).toBeGreaterThan(16 * 1024 * 1024);
      // Another file takes all but a few MiB of the disk.
      const filler = path.join(tmp.dir, 'filler');
      fs.writeFileSync(filler, Buffer.alloc((roomy.body.database.diskFreeBytes ?? 0) - 4 * 1024 * 1024));
      const full = await health();
      expect([full.status, full.body.status, full.body.database.ok]).toEqual([503, 'degraded', false]);
      expect(full.body.database.error).toMatch(/^the disk is full \(\d+ bytes free\): batches are refused until space is freed$/);
      fs.rmSync(filler);
      expect((await health()).status).toBe(200);
    } finally {
      try {
        await collector?.stop();
      } finally {
        execFileSync('umount', [tmp.dir]);
        tmp.cleanup();
      }
    }
  });
});
