// Worker thread: copies the collector's write-ahead log into its database file, beside the writer.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require('better-sqlite3');

const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
let framesBefore = -1;
setInterval(() => {
  try {
    // PASSIVE: copies what no reader still needs, without waiting for the writer or readers.
    const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
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
    parentPort.postMessage({ error: error.message });
  }
}, workerData.intervalMs);
