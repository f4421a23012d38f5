// Worker thread entry: in the build (backend/dist) the compiled module; from the sources, the
// TypeScript through tsx, whatever started the process.
if (require('node:fs').existsSync(`${__dirname}/queryWorkerMain.js`)) require('./queryWorkerMain.js');
else {
  require('tsx/cjs/api').register();
  require('./queryWorkerMain.ts');
}
