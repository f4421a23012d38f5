// Worker thread entry: TypeScript sources load through tsx, whatever started the process.
require('tsx/cjs/api').register();
require('./retentionWorkerMain.ts');
