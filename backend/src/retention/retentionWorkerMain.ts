import { workerData } from 'node:worker_threads';
import { type StoreLocation, openStore } from '../store/location';
import { answerCalls } from '../threads/workerCalls';
import { Archiver, type RetentionReport, type RetentionSettings } from './archiver';

/** The retention thread: its own connection to the collector's database, one pass at a time. */
const { location, settings } = workerData as { location: StoreLocation; settings: RetentionSettings };
const store = openStore(location);
const archiver = new Archiver(store, settings);

answerCalls<{ now: number }, RetentionReport, RetentionReport>((request, progress) => archiver.runOnce(request.now, progress));
