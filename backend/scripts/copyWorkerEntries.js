// Copies the worker threads' JavaScript entry files into the build beside their compiled modules
// (tsc compiles the TypeScript only).
const fs = require('node:fs');
const path = require('node:path');

const src = path.join(__dirname, '..', 'src');
const dist = path.join(__dirname, '..', 'dist');
for (const file of fs.readdirSync(src, { recursive: true })) {
  if (!file.endsWith('.js')) continue;
  fs.mkdirSync(path.dirname(path.join(dist, file)), { recursive: true });
  fs.copyFileSync(path.join(src, file), path.join(dist, file));
}
