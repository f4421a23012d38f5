import fs from 'node:fs';
import path from 'node:path';
import { reportJsonSchema } from './report';

/** Writes docs/report.schema.json from the report's definition (`npm run report:schema`). */
if (process.argv.slice(2).length > 0) {
  const help = process.argv.includes('--help');
  (help ? process.stdout : process.stderr).write("npm run report:schema\n\nWrites docs/report.schema.json from the report's definition; takes no options.\n");
  process.exit(help ? 0 : 2);
}
const file = path.resolve(__dirname, '../../../docs/report.schema.json');
fs.writeFileSync(file, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
