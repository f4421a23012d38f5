// A worker thread for the protocol's tests (workerCalls.test.ts): its module from the sources.
require('../threads/workerEntry')(__dirname, 'callsWorkerMain');
