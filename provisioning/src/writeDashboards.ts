import fs from 'node:fs';
import path from 'node:path';
import { dashboards } from './dashboards';

/** `npm run dashboards`: writes provisioning/dashboards/rpa/<name>.json from dashboards.ts. */
if (process.argv.slice(2).length > 0) {
  const help = process.argv.includes('--help');
  (help ? process.stdout : process.stderr).write(
    'npm run dashboards\n\nWrites provisioning/dashboards/rpa/<name>.json from provisioning/src/dashboards.ts; takes no options.\n',
  );
  process.exit(help ? 0 : 2);
}
const dir = path.resolve(__dirname, '../dashboards/rpa');
fs.mkdirSync(dir, { recursive: true });
for (const [name, dashboard] of Object.entries(dashboards())) {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(dashboard, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
