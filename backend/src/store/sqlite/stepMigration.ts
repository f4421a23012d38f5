import type Database from 'better-sqlite3';
import { encodeSteps, type PackedStep } from './stepBlob';

/** Step rows read at a time: a large file does not have to fit in memory. */
const PAGE = 100_000;

type StepRow = [executionId: number, index: number, nameId: number, startedAt: number, durationMs: number, status: number, errorId: number | null];

/**
 * Schema version 8: packs the one-row-per-step table into a blob per run (`run_steps`), keeping
 * every field, page by page in key order (a run's steps are never split across pages).
 */
export function packSteps(db: Database.Database, pageSize = PAGE): void {
  const page = db
    .prepare(
      'SELECT execution_id, idx, name_id, started_at, duration_ms, status, error_id FROM steps WHERE execution_id > ? ORDER BY execution_id, idx LIMIT ?',
    )
    .raw();
  const rest = db
    .prepare('SELECT execution_id, idx, name_id, started_at, duration_ms, status, error_id FROM steps WHERE execution_id = ? AND idx > ? ORDER BY idx')
    .raw();
  const insert = db.prepare('INSERT INTO run_steps (execution_id, count, steps) VALUES (?, ?, ?)');
  let after = 0;
  for (;;) {
    const rows = page.all(after, pageSize) as StepRow[];
    if (rows.length === 0) return;
    // The page may end inside a run: the rest of that run's steps come with it.
    const [lastRun, lastIndex] = rows[rows.length - 1];
    if (rows.length === pageSize) rows.push(...(rest.all(lastRun, lastIndex) as StepRow[]));
    let run: PackedStep[] = [];
    for (let i = 0; i < rows.length; i++) {
      const [executionId, index, nameId, startedAt, durationMs, status, errorId] = rows[i];
      run.push({ index, nameId, startedAt, durationMs, status, errorId });
      if (i === rows.length - 1 || rows[i + 1][0] !== executionId) {
        insert.run(executionId, run.length, encodeSteps(run));
        run = [];
      }
    }
    after = lastRun;
  }
}
