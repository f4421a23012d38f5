// Worker thread entry: in the build (backend/dist) the compiled module; from the sources, the
// TypeScript through tsx, whatever started the process.
if (require('node:fs').existsSync(`${__dirname}/analysisWorkerMain.js`)) require('./analysisWorkerMain.js');
else {
  require('tsx/cjs/api').register();
  require('./analysisWorkerMain.ts');
}
