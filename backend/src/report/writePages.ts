import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INCIDENT_KINDS } from '../sim/incidents';
import { runSimulation } from '../sim/simulator';
import { spawnCollector, stopCollector } from '../testing/collectorProcess';

const USAGE = `npm run report:pages [-- --out DIR] [--seed N] [--keep]

Regenerates the report page images under docs/report/: a collector of its own (a temporary data
folder, loopback, a free port) receives the simulator's 14 days with its injected incidents, runs
an analysis pass, has one insight marked implemented four days before the end and is restarted
for a pass that measures its impact, and writes a fleet report and the report of the workflow with the latency spike as
PDF; pdftoppm (Debian's poppler-utils) renders their pages as PNG. --keep leaves the PDFs beside them.`;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function call(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response;
}

async function main(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({ args: argv, options: { out: { type: 'string', default: 'docs/report' }, seed: { type: 'string', default: '1' }, keep: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (o.help) return void process.stdout.write(`${USAGE}\n`);
  try {
    execFileSync('pdftoppm', ['-v'], { stdio: 'ignore' });
  } catch {
    throw new Error('pdftoppm is not installed: apt-get install poppler-utils');
  }
  const out = path.resolve(o.out!);
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rpa-report-pages-'));
  let child: ChildProcess | undefined;
  try {
    let collector = await spawnCollector({ RPA_DATA_DIR: dataDir });
    child = collector.child;
    let api = `${collector.url}/api/v1`;
    // The demo's own default: the period ends this hour, so the insights' last 7 days hold data.
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const from = end - 14 * DAY;
    say(`collector at ${collector.url}; sending the simulator's 14 days to ${new Date(end).toISOString()} ...`);
    const truth = await runSimulation({ url: collector.url, seed: Number(o.seed), days: 14, end, workflows: 12, hosts: 6, robots: 10, runsPerHour: 4, incidents: INCIDENT_KINDS, sampleIntervalMs: 60_000 });
    say(`sent ${truth.totals.executions} runs; analysis pass ...`);
    await call(`${api}/analysis/run`, { method: 'POST' });
    const insights = (await (await call(`${api}/insights?limit=100`)).json()) as Array<{ id: string; workflow?: string; category: string }>;
    const chosen = insights.find((i) => i.category === 'bottleneck' && i.workflow) ?? insights.find((i) => i.workflow);
    if (chosen) {
      say(`marking '${chosen.id}' implemented four days before the end; restarting the collector (insights are refreshed once a process starts) ...`);
      await call(`${api}/insights/${encodeURIComponent(chosen.id)}/implemented`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ at: end - 4 * DAY, note: 'report page images' }) });
      await stopCollector(child);
      collector = await spawnCollector({ RPA_DATA_DIR: dataDir });
      child = collector.child;
      api = `${collector.url}/api/v1`;
      await call(`${api}/analysis/run`, { method: 'POST' });
    }
    const spiked = truth.incidents.find((i) => i.kind === 'latency_spike')!.workflow!;
    fs.mkdirSync(out, { recursive: true });
    for (const file of fs.readdirSync(out)) if (/^(fleet|workflow)-\d+\.png$/.test(file)) fs.rmSync(path.join(out, file));
    for (const [name, workflow] of [['fleet', undefined], ['workflow', spiked]] as const) {
      const query = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(end).toISOString(), format: 'pdf', ...(workflow ? { workflow } : {}) });
      const pdf = path.join(out, `${name}.pdf`);
      fs.writeFileSync(pdf, Buffer.from(await (await call(`${api}/reports?${query}`)).arrayBuffer()));
      execFileSync('pdftoppm', ['-png', '-r', '70', pdf, path.join(out, name)]);
      if (!o.keep) fs.rmSync(pdf);
      const pages = fs.readdirSync(out).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'));
      say(`wrote ${pages.length} pages of the ${workflow ? `report of ${workflow}` : 'fleet report'} to ${out}`);
    }
  } finally {
    if (child) await stopCollector(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`report:pages: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
