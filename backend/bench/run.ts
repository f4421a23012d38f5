import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Figure } from './measure';
import { benchSdk } from './sdk';
import { benchSampler } from './sampler';
import { benchAnalysis } from './analysis';
import { benchBackfill } from './backfill';
import { benchIngestQueries } from './ingestQueries';
import { benchPostgres } from './postgres';
import { benchStartup } from './startup';

/**
 * `npm run bench [-- --quick] [-- --json FILE] [-- --only NAME]`: every scenario (or those whose name contains NAME), each beside a baseline
 * measured in the same run, printed as a table (and written as JSON when asked).
 */
async function main(): Promise<void> {
  const usage =
    'npm run bench [-- --quick] [-- --json FILE] [-- --only NAME]\n\nRuns every benchmark scenario (or those whose name contains NAME) beside its baseline and prints one table.';
  let values;
  try {
    ({ values } = parseArgs({
      options: { quick: { type: 'boolean', default: false }, json: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  if (values.help) return void process.stdout.write(`${usage}\n`);
  const quick = values.quick!;
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
  process.stdout.write(`machine: ${machine}\nmode: ${quick ? 'quick' : 'full'}\n`);
  const figures: Figure[] = [];
  const progress = (line: string) => process.stdout.write(`${line}\n`);
  for (const [name, scenario] of [
    ['SDK', benchSdk],
    ['sampler', benchSampler],
    ['ingest and queries', benchIngestQueries],
    ['analysis', benchAnalysis],
    ['backfill', benchBackfill],
    ['postgres', benchPostgres],
    ['start-up', benchStartup],
  ] as const) {
    if (values.only && !name.includes(values.only)) continue;
    progress(`running ${name} ...`);
    figures.push(...(await scenario(quick, progress)));
  }
  const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3));
  process.stdout.write('\n| scenario | metric | value | baseline | ratio | target | met |\n|---|---|---|---|---|---|---|\n');
  for (const f of figures) {
    process.stdout.write(
      `| ${f.scenario} | ${f.metric} | ${fmt(f.value)} ${f.unit} | ${f.baselineName}: ${fmt(f.baseline)} ${f.unit} | ${fmt(f.ratio)} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : 'no'} |\n`,
    );
  }
  if (values.json) fs.writeFileSync(values.json, `${JSON.stringify({ machine, quick, date: new Date().toISOString(), figures }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
