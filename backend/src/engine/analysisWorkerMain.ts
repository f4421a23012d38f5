import { workerData } from 'node:worker_threads';
import { createLogger, type LogFormat } from '../log';
import { type StoreLocation, openStore } from '../store/location';
import { PgStore } from '../store/postgres/pgStore';
import { answerCalls, tell } from '../threads/workerCalls';
import type { PassOutcome } from './analysisRunner';
import { AnalysisScheduler } from './analysisScheduler';

/** The analysis scheduler in its own thread, with its own read-write connection. */
const settings = workerData as {
  location: StoreLocation;
  sensitivity: number;
  intervalMs: number;
  latenessMs?: number;
  historyDays: number;
  timeZone?: string;
  logLevel: string;
  logFormat: LogFormat;
};
const store = openStore(settings.location);
// Errors go to the collector's thread with each pass's answer; this log says how a long pass goes.
const log = createLogger(settings.logLevel, undefined, settings.logFormat);
if (store instanceof PgStore) store.onNotice = (notice) => log.info(`analysis: ${notice}`);
const scheduler = new AnalysisScheduler({
  store,
  sensitivity: settings.sensitivity,
  latenessMs: settings.latenessMs,
  historyDays: settings.historyDays,
  timeZone: settings.timeZone,
  log,
});
let timer: NodeJS.Timeout | undefined;

/**
 * Collectors sharing a PostgreSQL database pass by turns of none: the one whose connection holds
 * the analysis lead runs every pass; the others follow, and take the lead when it is free.
 */
const leading = () => !(store instanceof PgStore) || store.tryLead();
let led = true;
/** The database session the lead was held in: a lost connection lost the lead, which another collector may have taken meanwhile. */
let leadSession = store instanceof PgStore ? store.session() : 0;

function pass(refreshInsights = false): PassOutcome {
  if (!leading()) {
    led = false;
    return { following: true };
  }
  // Taking the lead over (again, in a new session): another collector's passes may have moved the detectors on meanwhile.
  const session = store instanceof PgStore ? store.session() : 0;
  if (!led || session !== leadSession) scheduler.reload();
  led = true;
  leadSession = session;
  const report = scheduler.runPass({ refreshInsights });
  return { following: false, report, lastPassAt: scheduler.lastPassAt };
}

/** A pass its own timer ran: told to the collector's thread, which keeps the last report. */
function timedPass(): void {
  try {
    tell({ value: pass() });
  } catch (error) {
    tell({ error });
  }
}

answerCalls<{ refreshInsights: boolean }, PassOutcome>(
  (request) => pass(request.refreshInsights),
  (message) => {
    if ((message as { type?: string }).type === 'start' && !timer) {
      setImmediate(timedPass);
      timer = setInterval(timedPass, settings.intervalMs);
    }
  },
);
