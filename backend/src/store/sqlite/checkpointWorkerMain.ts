import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { answerCalls, tell } from '../../threads/workerCalls';

/**
 * The checkpoint thread: copies the collector's write-ahead log into its database file beside the
 * writer, every `intervalMs`. It tells a failed checkpoint as a message of its own (`tell`), and
 * answers one call, `stop`: it stops its timer and closes its connection, so a collector that
 * stops leaves no checkpoint cut short.
 */
const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
let framesBefore = -1;

const timer = setInterval(() => {
  try {
    // PASSIVE: copies what no reader still needs, without waiting for the writer or readers.
    const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>;
    // All copied and nothing written since the last time: the collector is quiet, so the log file
    // is emptied (a try that finds a writer gives up at once instead of holding new writes back).
    if (log > 0 && checkpointed === log && log === framesBefore) {
      db.pragma('busy_timeout = 0');
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } finally {
        db.pragma('busy_timeout = 5000');
      }
    }
    framesBefore = log;
  } catch (error) {
    tell({ error });
  }
}, intervalMs);

answerCalls<'stop', true>(() => {
  clearInterval(timer);
  db.close();
  return true;
});
