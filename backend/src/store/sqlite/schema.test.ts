import path from 'node:path';
import Database from 'better-sqlite3';
import { tempDir } from '../../testing/harness';
import { migrate, SCHEMA_VERSION } from './schema';
import { SqliteStore } from './sqliteStore';

const T0 = Date.UTC(2026, 10, 2, 8, 0, 0);

describe('schema migrations', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('when a database file from schema version 1 is opened, then it is migrated and its rows kept', () => {
    const file = path.join(tmp.dir, 'old.db');
    const old = new Database(file);
    expect(migrate(old, 1)).toBe(1);
    old.prepare("INSERT INTO workflows(id, name) VALUES (1, 'Payroll')").run();
    old.prepare('INSERT INTO executions(ext_id, workflow_id, started_at, status, duration_ms) VALUES (?, 1, ?, 1, 1200)').run('old-run', T0);
    old.close();

    const store = new SqliteStore({ file });
    try {
      expect(store.getExecution('old-run')).toEqual({
        id: 'old-run',
        workflow: 'Payroll',
        startedAt: T0,
        durationMs: 1200,
        status: 'completed',
        steps: [],
      });
      // Version 2 brought resource samples: they can be written now.
      store.ingest({
        executions: [],
        steps: [],
        samples: [{ host: 'vm-1', time: T0, cpuPercent: 12, memoryUsedBytes: 1, memoryTotalBytes: 2, diskReadBytesPerSec: 0, diskWriteBytesPerSec: 0, netRxBytesPerSec: 0, netTxBytesPerSec: 0 }],
      });
      expect(store.stats().samples).toBe(1);
    } finally {
      store.close();
    }
    const reopened = new Database(file);
    expect(reopened.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal');
    reopened.close();
  });

  it('when the file was written by a newer collector, then opening it fails with a clear message', () => {
    const file = path.join(tmp.dir, 'newer.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => new SqliteStore({ file })).toThrow(
      `database schema version ${SCHEMA_VERSION + 1} is newer than this collector supports (${SCHEMA_VERSION}); upgrade the collector`,
    );
  });

  it('when a batch fails half-way, then dictionary ids created in it are not reused', () => {
    const store = new SqliteStore({ file: ':memory:' });
    const run = { id: 'a', workflow: 'Brand new workflow', startedAt: T0, status: 'running' as const };
    expect(() =>
      store.ingest({ executions: [run], steps: [{ executionId: 'ghost', index: 0, name: 'x', startedAt: T0, durationMs: 1, status: 'completed' }], samples: [] }),
    ).toThrow('steps refer to executions that were never reported');
    store.ingest({ executions: [run], steps: [], samples: [] });
    expect(store.getExecution('a')?.workflow).toBe('Brand new workflow');
    store.close();
  });
});
