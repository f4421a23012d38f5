// Worker thread entry: its module compiled or from the sources (workerEntry.js).
require('./workerEntry')(__dirname, 'syncBridgeWorkerMain');
