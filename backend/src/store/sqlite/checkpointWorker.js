// Worker thread entry: its module compiled or from the sources (workerEntry.js).
require('../../threads/workerEntry')(__dirname, 'checkpointWorkerMain');
