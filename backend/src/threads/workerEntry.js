// Loads a worker thread's module from its JavaScript entry file: in the build (backend/dist) the
// compiled module; from the sources, the TypeScript through tsx, whatever started the process.
const fs = require('node:fs');
const path = require('node:path');

module.exports = function loadWorkerModule(dir, name) {
  const compiled = path.join(dir, `${name}.js`);
  if (fs.existsSync(compiled)) return require(compiled);
  require('tsx/cjs/api').register();
  return require(path.join(dir, `${name}.ts`));
};
