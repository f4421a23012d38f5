import { parentPort, workerData } from 'node:worker_threads';
import { type StoreLocation, openStore } from '../store/location';
import { Archiver, type RetentionSettings } from './archiver';

/** The retention thread: its own connection to the collector's database, one pass at a time. */
const { location, settings } = workerData as { location: StoreLocation; settings: RetentionSettings };
const store = openStore(location);
const archiver = new Archiver(store, settings);

parentPort!.on('message', (message: { id: number; now: number } | { close: true }) => {
  if ('close' in message) {
    store.close();
    process.exit(0);
  }
  try {
    const report = archiver.runOnce(message.now, (sofar) => parentPort!.postMessage({ id: message.id, progress: sofar }));
    parentPort!.postMessage({ id: message.id, report });
  } catch (error) {
    parentPort!.postMessage({ id: message.id, error: (error as Error).message });
  }
});
