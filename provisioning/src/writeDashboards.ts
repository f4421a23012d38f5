import fs from 'node:fs';
import path from 'node:path';
import { dashboards } from './dashboards';

/** `npm run dashboards`: writes provisioning/dashboards/rpa/<name>.json from dashboards.ts. */
const dir = path.resolve(__dirname, '../dashboards/rpa');
fs.mkdirSync(dir, { recursive: true });
for (const [name, dashboard] of Object.entries(dashboards())) {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify(dashboard, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
