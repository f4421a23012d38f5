import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Report } from '../backend/src/report/report';
import { PDF_SECTIONS } from '../backend/src/report/reportPdf';
import { INCIDENT_KINDS } from '../backend/src/sim/incidents';
import { runSimulation } from '../backend/src/sim/simulator';
import type { Collector } from '../backend/src/server';
import { postJson, startCollector, tempDir } from '../backend/src/testing/harness';

/** Needs poppler-utils (pdftoppm, pdftotext, pdfinfo) and fonts-dejavu-core from Debian packages; see the README. */
const END = Date.UTC(2026, 10, 20);
const DAY = 86_400_000;

describe('PDF reports rendered by poppler', () => {
  const tmp = tempDir('rpa-report-e2e-');
  let collector: Collector;
  let base: string;

  beforeAll(async () => {
    collector = await startCollector(tmp.dir);
    base = `${collector.url}/api/v1`;
    await runSimulation({
      seed: 3,
      days: 14,
      end: END,
      workflows: 6,
      hosts: 3,
      robots: 5,
      runsPerHour: 6,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 600_000,
      url: collector.url,
    });
    expect((await postJson(`${base}/analysis/run`, {})).status).toBe(200);
  }, 120_000);
  afterAll(async () => {
    await collector?.stop();
    tmp.cleanup();
  });

  const fetchReport = async (format: 'json' | 'pdf', workflow?: string) => {
    const params = new URLSearchParams({ from: String(END - 14 * DAY), to: String(END), format, ...(workflow ? { workflow } : {}) });
    const response = await fetch(`${base}/reports?${params}`);
    expect(response.status).toBe(200);
    return Buffer.from(await response.arrayBuffer());
  };

  it('writes workflow names beyond Latin-1 as text (DejaVu Sans, found where Debian installs it)', async () => {
    const workflow = 'Счета-фактуры Ω';
    const startedAt = END - DAY;
    expect(
      (
        await postJson(`${base}/ingest`, {
          executions: [{ id: 'cyr-1', workflow, startedAt, endedAt: startedAt + 5000, durationMs: 5000, status: 'completed' }],
        })
      ).status,
    ).toBe(200);
    const file = path.join(tmp.dir, 'report-cyrillic.pdf');
    fs.writeFileSync(file, await fetchReport('pdf', workflow));
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
    expect(text).toContain(`Workflow report: ${workflow}`);
  });

  it.each([
    ['one workflow', true],
    ['the fleet', false],
  ])('renders every page of %s to PNG and holds its name and figures as text', async (_what, oneWorkflow) => {
    const workflow = oneWorkflow ? collector.store.names('workflows')[0] : undefined;
    const report = JSON.parse((await fetchReport('json', workflow)).toString()) as Report;
    const file = path.join(tmp.dir, `report-${oneWorkflow ? 'workflow' : 'fleet'}.pdf`);
    fs.writeFileSync(file, await fetchReport('pdf', workflow));

    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
    expect(pages).toBeGreaterThanOrEqual(1);
    const prefix = path.join(tmp.dir, `page-${oneWorkflow ? 'w' : 'f'}`);
    execFileSync('pdftoppm', ['-png', '-r', '40', file, prefix]);
    const images = fs.readdirSync(tmp.dir).filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.png'));
    expect(images).toHaveLength(pages);
    for (const image of images) expect(fs.readFileSync(path.join(tmp.dir, image)).subarray(1, 4).toString()).toBe('PNG');

    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain(report.title);
    expect(text).toContain(`${report.summary.runs.toLocaleString('en-US')} runs of ${report.summary.workflows} workflow`);
    expect(text).toContain(`${(100 * report.summary.successRate!).toFixed(1)}% succeeded, ${report.summary.failures.toLocaleString('en-US')} failures`);
    for (const row of report.statistics) expect(text).toContain(row.workflow);

    // Page by page (pdftotext ends each with a form feed): the sections in order, and no page
    // ending on a heading, its content on the next.
    const lines = text.split('\f').map((page) =>
      page
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    const headings = new Set<string>([...PDF_SECTIONS, 'Success rate', 'Runs per day (red: failed)', 'Error patterns']);
    const isHeading = (line: string) => headings.has(line) || /^(Run duration|Against the previous|The most severe anomalies)/.test(line);
    for (const page of lines.filter((l) => l.length > 0))
      expect({ last: page[page.length - 1], heading: isHeading(page[page.length - 1]) }).toEqual({ last: page[page.length - 1], heading: false });
    const flat = lines.flat();
    const order = PDF_SECTIONS.map((section) => flat.indexOf(section));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // A workflow's report tells only of the incidents that hit it: no workflow that none of them hit is named.
    if (workflow) {
      const happened = flat.slice(order[1], order[2]).join(' ');
      const hit = new Set(report.incidents.flatMap((i) => i.workflows));
      const others = collector.store.names('workflows').filter((w) => !hit.has(w));
      expect(report.incidents.length).toBeGreaterThan(0);
      expect(others.length).toBeGreaterThan(0);
      for (const other of others) expect({ other, named: happened.includes(other) }).toEqual({ other, named: false });
    }
    if (report.bottlenecks.length) expect(text).toContain(report.bottlenecks[0].step);
    if (oneWorkflow) expect(report.summary.workflows).toBe(1);
    else expect(report.statistics.length).toBe(collector.store.names('workflows').length);
  });
});
