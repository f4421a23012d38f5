import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_FLEET, runSimulation } from '../sim/simulator';
import { spawnCollector, stopCollector } from '../testing/collectorProcess';

const USAGE = `npm run report:pages [-- --out DIR] [--seed N] [--keep]

Regenerates the report page images under docs/report/: a collector of its own (a temporary data
folder, loopback, a free port) receives the simulator's 14 days with its injected incidents, runs
an analysis pass, has an insight of the workflow with the latency spike marked implemented four
days before the end and a pass measure its impact, and writes a fleet report and that workflow's
report as PDF; pdftoppm (Debian's poppler-utils) renders their pages as PNG and the README's links
to them (between its report-pages markers) are rewritten. --keep leaves the PDFs beside them.`;

const ROOT = path.resolve(__dirname, '../../..');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function call(url: string, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return response;
}

/** The README's links to the pages, between its `report-pages` markers, rewritten to those written. */
function linkPages(out: string, say: (line: string) => void): void {
  const readme = path.join(ROOT, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const markers = /(<!-- report-pages -->)[\s\S]*?(<!-- \/report-pages -->)/;
  if (!markers.test(text)) return say('README.md has no report-pages markers: its links are left as they are');
  const dir = path.relative(ROOT, out).split(path.sep).join('/');
  const pages = (name: string) =>
    fs
      .readdirSync(out)
      .filter((f) => new RegExp(`^${name}-\\d+\\.png$`).test(f))
      .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  const links = (name: string, title: string) => {
    const [first, ...rest] = pages(name);
    return `[${title}](${dir}/${first})${rest.length ? ` (${rest.map((f) => `[${/\d+/.exec(f)![0]}](${dir}/${f})`).join(', ')})` : ''}`;
  };
  fs.writeFileSync(readme, text.replace(markers, `$1\n${links('fleet', 'fleet report')}, ${links('workflow', "workflow's report")}\n$2`));
  say('README.md links them');
}

async function main(argv: string[]): Promise<void> {
  const { values: o } = parseArgs({
    args: argv,
    options: { out: { type: 'string', default: 'docs/report' }, seed: { type: 'string', default: '1' }, keep: { type: 'boolean' }, help: { type: 'boolean' } },
  });
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
    const collector = await spawnCollector({ RPA_DATA_DIR: dataDir });
    child = collector.child;
    const api = `${collector.url}/api/v1`;
    // The demo's own default: the period ends this hour, so the insights' last 7 days hold data.
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const from = end - 14 * DAY;
    say(`collector at ${collector.url}; sending the simulator's 14 days to ${new Date(end).toISOString()} ...`);
    const truth = await runSimulation({
      url: collector.url,
      seed: Number(o.seed),
      days: 14,
      end,
      ...DEMO_FLEET,
    });
    say(`sent ${truth.totals.executions} runs; analysis pass ...`);
    await call(`${api}/analysis/run`, { method: 'POST' });
    const spiked = truth.incidents.find((i) => i.kind === 'latency_spike')!.workflow!;
    // An insight of the workflow whose report is drawn, acted on four days before the end: the next
    // pass measures its impact, and both reports show it beside the expected one.
    const insights = (await (await call(`${api}/insights?limit=1000`)).json()) as Array<{ id: string; workflow?: string; category: string }>;
    const chosen = insights.find((i) => i.workflow === spiked && i.category === 'bottleneck') ?? insights.find((i) => i.workflow === spiked);
    if (!chosen) throw new Error(`no insight on ${spiked} to mark implemented`);
    say(`marking '${chosen.id}' implemented four days before the end; analysis pass ...`);
    await call(`${api}/insights/${encodeURIComponent(chosen.id)}/implemented`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ at: end - 4 * DAY, note: 'report page images' }),
    });
    await call(`${api}/analysis/run`, { method: 'POST' });
    fs.mkdirSync(out, { recursive: true });
    for (const file of fs.readdirSync(out)) if (/^(fleet|workflow)-\d+\.png$/.test(file)) fs.rmSync(path.join(out, file));
    for (const [name, workflow] of [
      ['fleet', undefined],
      ['workflow', spiked],
    ] as const) {
      const query = new URLSearchParams({
        from: new Date(from).toISOString(),
        to: new Date(end).toISOString(),
        format: 'pdf',
        ...(workflow ? { workflow } : {}),
      });
      const pdf = path.join(out, `${name}.pdf`);
      fs.writeFileSync(pdf, Buffer.from(await (await call(`${api}/reports?${query}`)).arrayBuffer()));
      execFileSync('pdftoppm', ['-png', '-r', '70', pdf, path.join(out, name)]);
      if (!o.keep) fs.rmSync(pdf);
      const pages = fs.readdirSync(out).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'));
      say(`wrote ${pages.length} pages of the ${workflow ? `report of ${workflow}` : 'fleet report'} to ${out}`);
    }
    linkPages(out, say);
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
