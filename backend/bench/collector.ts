import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The compiled collector's entry (`npm start`), built by `npm run build` (and before `npm run bench`). */
export const COLLECTOR_MAIN = path.join(ROOT, 'backend/dist/main.js');

/** The Node flags `npm start` runs the collector with, as its script says. */
export function collectorNodeFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * The benchmark measures the last build: `npm run bench` builds first (`prebench`); run through tsx
 * directly, it measures whatever `npm run build` last built.
 * @throws Error when there is no build
 */
export function requireBuild(): void {
  if (!fs.existsSync(COLLECTOR_MAIN)) throw new Error('backend/dist is missing: run npm run build first (npm run bench builds it)');
}
