import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { AnalysisScheduler } from './analysisScheduler';

/** The analysis scheduler in its own thread, with its own read-write connection. */
const settings = workerData as { file: string; sensitivity: number; intervalMs: number; historyDays: number };
const store = new SqliteStore({ file: settings.file });
const scheduler = new AnalysisScheduler({ store, sensitivity: settings.sensitivity, historyDays: settings.historyDays });
let timer: NodeJS.Timeout | undefined;

function pass(id?: number): void {
  try {
    const report = scheduler.runPass();
    parentPort!.postMessage({ id, report, health: scheduler.health, lastPassAt: scheduler.lastPassAt });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
}

parentPort!.on('message', (message: { type: 'pass' | 'start'; id?: number }) => {
  if (message.type === 'pass') pass(message.id);
  if (message.type === 'start' && !timer) {
    setImmediate(() => pass());
    timer = setInterval(() => pass(), settings.intervalMs);
  }
});
