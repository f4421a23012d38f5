import fs from 'node:fs';
import path from 'node:path';
import { reportJsonSchema } from './report';

/** Writes docs/report.schema.json from the report's definition (`npm run report:schema`). */
const file = path.resolve(__dirname, '../../../docs/report.schema.json');
fs.writeFileSync(file, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);
