import { INCIDENT_KINDS } from '../sim/incidents';
import { runSimulation, type GroundTruth } from '../sim/simulator';
import { collectorForTests, getJson, postJson } from '../testing/harness';
import { pdfLayouts, type PdfPage } from '../testing/pdfLayout';
import { reportSchema, type Report } from './report';
import { PDF_SECTIONS, PDF_TOP, reportPdf } from './reportPdf';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The font sizes of the PDF's section headings and of the headings within sections. */
const HEADING_SIZES = [13, 10.5];
const isHeading = (line: { size: number }) => HEADING_SIZES.includes(line.size);

/** Where each text was first seen: its page, then its place from the top. */
function positions(pages: PdfPage[], texts: readonly string[]): Array<{ text: string; page: number; y: number }> {
  return texts.map((text) => {
    for (const [page, p] of pages.entries()) {
      const line = p.lines.find((l) => l.text === text);
      if (line) return { text, page, y: line.y };
    }
    throw new Error(`'${text}' is not in the PDF`);
  });
}

const textOf = (pages: PdfPage[]) => pages.map((p) => p.lines.map((l) => l.text).join('\n')).join('\n');

/**
 * A report of `n` incidents, `workflows` workflows, `patterns` error patterns and `insights`
 * insights, checked against the schema: long enough, in varied measure, for headings to fall at
 * every height of a page.
 */
function syntheticReport(n: number, workflows: number, patterns: number, insights: number): Report {
  const from = Date.UTC(2026, 10, 23);
  const to = from + 7 * DAY;
  const iso = (t: number) => new Date(t).toISOString();
  const names = Array.from({ length: workflows }, (_, i) => `Workflow ${String.fromCharCode(65 + (i % 26))}${i >= 26 ? i : ''}`);
  return reportSchema.parse({
    schemaVersion: 2,
    title: 'Fleet report',
    generatedAt: iso(to),
    scope: { workflow: null, from: iso(from), to: iso(to) },
    summary: {
      workflows,
      runs: 700 * workflows,
      completed: 690 * workflows,
      failures: 10 * workflows,
      successRate: 0.985,
      avgDurationMs: 40_000,
      medianDurationMs: 38_000,
      p95DurationMs: 70_000,
      incidents: n,
      anomalies: 2 * n,
      previous: {
        from: iso(from - 7 * DAY),
        to: iso(from),
        runs: 650 * workflows,
        failures: 9,
        successRate: 0.99,
        medianDurationMs: 37_000,
        p95DurationMs: 60_000,
      },
    },
    incidents: Array.from({ length: n }, (_, i) => ({
      id: `inc-${i}`,
      title: `Incident ${i + 1} of ${names[i % workflows]}: runs ${2 + (i % 3)}x slower${i % 2 ? ", steps 'Read input file', 'Login', 'Check duplicates' and 5 more" : ''}`,
      status: i === 0 ? 'open' : 'closed',
      severity: 1 - i / 20,
      severityLabel: 'high',
      startedAt: iso(from + i * 10 * HOUR),
      lastSeenAt: iso(from + i * 10 * HOUR + 3 * HOUR),
      endedAt: i === 0 ? null : iso(from + i * 10 * HOUR + 3 * HOUR),
      workflows: [names[i % workflows]],
      hosts: i % 3 ? [] : ['rpa-vm-01'],
      anomalies: 2,
      recommendation: i % 4 ? 'Open the slowest recent runs and find the step whose time grew.' : null,
    })),
    performance: {
      bucketMs: 3 * HOUR,
      buckets: Array.from({ length: 56 }, (_, i) => ({
        time: iso(from + i * 3 * HOUR),
        runs: 40,
        failures: i % 7,
        successRate: 1 - (i % 7) / 40,
        medianDurationMs: 38_000,
        p95DurationMs: i === 30 ? 150_000 : 70_000,
        medianRelative: 1,
        p95Relative: i === 30 ? 3.9 : 1.8,
      })),
    },
    daily: Array.from({ length: 7 }, (_, i) => ({ day: iso(from + i * DAY).slice(0, 10), runs: 100 * workflows, failures: i, successRate: 0.99 })),
    statistics: names.map((workflow, i) => ({
      workflow,
      runs: 700 - i,
      completed: 690 - i,
      successRate: 0.98,
      avgDurationMs: 40_000,
      medianDurationMs: 38_000,
      p95DurationMs: 70_000,
      p99DurationMs: 90_000,
      minDurationMs: 10_000,
      maxDurationMs: 150_000,
      stdDevDurationMs: 9000,
      previous: { runs: 650, successRate: 0.99, p95DurationMs: 60_000 },
    })),
    bottlenecks: names
      .slice(0, 10)
      .map((workflow) => ({ workflow, step: 'Post to ERP', share: 0.4, runs: 700, meanMs: 16_000, p95Ms: 30_000, totalMs: 11_200_000, failures: 3 })),
    failures: {
      byErrorType: [
        { errorType: 'application', count: 6 * workflows },
        { errorType: 'timeout', count: 4 * workflows },
      ],
      patterns: Array.from({ length: patterns }, (_, i) => ({
        pattern: `Selector #submit-${i} not found in window 'SAP Easy Access'`,
        example: 'x',
        errorType: 'application',
        count: 20 - i,
        workflows: names.slice(0, 1 + (i % 6)),
        isNew: i % 3 === 0,
      })),
    },
    anomalies: Array.from({ length: 2 * n }, (_, i) => ({
      id: `an-${i}`,
      metric: 'run_duration',
      workflow: names[i % workflows],
      host: null,
      robot: null,
      status: 'closed',
      severity: 0.9,
      startedAt: iso(from + i * 5 * HOUR),
      lastSeenAt: iso(from + i * 5 * HOUR + HOUR),
      expected: 38_000,
      observed: 120_000,
      description: `run duration of ${names[i % workflows]} is unusually high: 2.0 min vs expected 38.0 s (12.0 robust SDs, 4 points)`,
    })),
    insights: Array.from({ length: insights }, (_, i) => ({
      id: `ins-${i}`,
      category: 'bottleneck',
      workflow: names[i % workflows],
      title: `${names[i % workflows]}: step 'Post to ERP' takes 40% of the run time`,
      recommendation:
        "Speed up 'Post to ERP': replace fixed waits with event-based waits, call the application's API instead of its UI, or run it in parallel across robots.",
      status: i === 1 ? 'implemented' : 'open',
      priority: 0.9 - i / 50,
      expectedImpact: 'Halving this step shortens the runs by about 20%',
      expectedImprovementPct: 20,
      implementedAt: i === 1 ? iso(from + 3 * DAY) : null,
      measured:
        i === 1
          ? {
              quantity: "median duration of step 'Post to ERP'",
              before: 16_000,
              after: 9000,
              changePct: -43.75,
              pValue: 0.0004,
              significant: true,
              direction: 'better',
              runsBefore: 300,
              runsAfter: 400,
            }
          : null,
    })),
  });
}

describe('the PDF report, read back with PDF.js', () => {
  it('when lists of every length push headings down the pages, then no heading is ever the last line of a page, and the sections keep their order', async () => {
    const variants: Report[] = [];
    for (let n = 0; n <= 11; n++) for (const workflows of [1, 6, 30]) variants.push(syntheticReport(n, workflows, (n * 3) % 11, 2 + (n % 9)));
    const layouts = pdfLayouts(await Promise.all(variants.map((r) => reportPdf(r))));
    let pageBreaks = 0;
    let headingsStartingAPage = 0;
    for (const [i, { pages }] of layouts.entries()) {
      for (const [n, page] of pages.entries()) {
        if (n > 0 && isHeading(page.lines[0])) headingsStartingAPage++;
        const last = page.lines[page.lines.length - 1];
        expect({ variant: i, page: n, last: last.text, heading: isHeading(last) }).toEqual({ variant: i, page: n, last: last.text, heading: false });
      }
      pageBreaks += pages.length - 1;
      const order = positions(pages, PDF_SECTIONS);
      const sorted = [...order].sort((a, b) => a.page - b.page || a.y - b.y);
      expect(order.map((o) => o.text)).toEqual(sorted.map((o) => o.text));
    }
    // The variants broke pages in many places, often just before a heading (else the checks above prove little).
    expect(pageBreaks).toBeGreaterThanOrEqual(2 * variants.length);
    expect(headingsStartingAPage).toBeGreaterThan(10);
  }, 60_000);

  it('when a list is longer than the PDF shows, then it shows the top items and says how many more the CSV and JSON hold', async () => {
    const report = syntheticReport(11, 6, 10, 11);
    const [{ pages }] = pdfLayouts([await reportPdf(report)]);
    const text = textOf(pages);
    expect(text).toContain(`... and ${11 - PDF_TOP.incidents} more incidents; the CSV and JSON reports list all 11.`);
    expect(text).toContain(`... and ${22 - PDF_TOP.anomalies} more anomalies; the CSV and JSON reports list all 22.`);
    expect(text).toContain(`... and ${10 - PDF_TOP.patterns} more patterns; the CSV and JSON reports list all 10.`);
    expect(text).toContain(`... and ${11 - PDF_TOP.insights} more insights; the CSV and JSON reports list all 11.`);
    // The most severe incidents are the ones shown, in their order; the rest are not.
    const shown = report.incidents.map((_, n) => text.indexOf(`Incident ${n + 1} of`));
    expect(shown.slice(0, PDF_TOP.incidents).every((at) => at >= 0)).toBe(true);
    expect(shown.slice(0, PDF_TOP.incidents)).toEqual([...shown.slice(0, PDF_TOP.incidents)].sort((a, b) => a - b));
    expect(shown.slice(PDF_TOP.incidents)).toEqual([-1, -1, -1]);
  });

  it('an implemented insight shows its measured impact beside the expected one', async () => {
    const [{ pages }] = pdfLayouts([await reportPdf(syntheticReport(2, 3, 2, 3))]);
    expect(textOf(pages).replace(/\n/g, ' ')).toContain(
      "Implemented 2026-11-26. Expected: Halving this step shortens the runs by about 20%. Measured: median duration of step 'Post to ERP' 16.0 s before, 9.0 s after (\u221244%, better, p = 0.00040; 300 and 400 runs).",
    );
  });
});

describe('reports of a simulated fleet judged by a running collector', () => {
  // As the README: the collector with its analysis on, a backfill of the demo fleet, a pass asked for.
  const ctx = collectorForTests({ RPA_ANALYSIS: 'on' });
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const from = end - 7 * DAY;
  let truth: GroundTruth;
  let spiked: string;
  const report = async (query: Record<string, string>) => {
    const url = `${ctx.base}/reports?${new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(end).toISOString(), ...query })}`;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    return query.format === 'pdf' ? Buffer.from(await response.arrayBuffer()) : ((await response.json()) as Report);
  };

  beforeAll(async () => {
    truth = await runSimulation({
      url: ctx.collector.url,
      seed: 3,
      days: 7,
      end,
      workflows: 8,
      hosts: 4,
      robots: 6,
      runsPerHour: 4,
      incidents: INCIDENT_KINDS,
      sampleIntervalMs: 300_000,
    });
    spiked = truth.incidents.find((i) => i.kind === 'latency_spike')!.workflow!;
    expect((await postJson(`${ctx.base}/analysis/run`, {})).status).toBe(200);
    // An insight acted on three days before the end: the next pass measures its impact.
    const { body: insights } = await getJson(`${ctx.base}/insights`);
    const chosen = (insights as Array<{ id: string; category: string; workflow?: string }>).find((i) => i.category === 'bottleneck' && i.workflow === spiked);
    expect(chosen).toBeDefined();
    expect((await postJson(`${ctx.base}/insights/${chosen!.id}/implemented`, { at: end - 3 * DAY })).status).toBe(200);
    expect((await postJson(`${ctx.base}/analysis/run`, {})).status).toBe(200);
  }, 120_000);

  it("a workflow's report holds only the incidents that hit it and its own anomalies; the fleet's has the others", async () => {
    const fleet = (await report({})) as Report;
    const own = (await report({ workflow: spiked })) as Report;
    const others = fleet.incidents.filter((i) => !i.workflows.includes(spiked));
    expect(others.length).toBeGreaterThan(2);
    expect(own.incidents.length).toBeGreaterThan(0);
    expect(own.incidents.every((i) => i.workflows.includes(spiked))).toBe(true);
    expect(own.anomalies.length).toBeGreaterThan(0);
    expect(own.anomalies.every((a) => a.workflow === spiked)).toBe(true);
    const [{ pages }] = pdfLayouts([(await report({ workflow: spiked, format: 'pdf' })) as Buffer]);
    const text = textOf(pages).replace(/\n/g, ' ');
    for (const incident of own.incidents.slice(0, PDF_TOP.incidents)) expect(text).toContain(incident.title.slice(0, 25));
    for (const incident of others) expect(text).not.toContain(incident.title.slice(0, 25));
  }, 60_000);

  it("a workflow's report charts its durations over time, the latency spike and its incident band on it", async () => {
    const own = (await report({ workflow: spiked })) as Report;
    const [{ pages }] = pdfLayouts([(await report({ workflow: spiked, format: 'pdf' })) as Buffer]);
    const heading = positions(pages, ['Run duration: median and p95, per 3 hours'])[0];
    const page = pages[heading.page];
    const below = page.lines.filter((l) => l.y > heading.y && l.y < heading.y + 160);
    // The y axis spans the spike: its top label is the highest p95 of a bucket and a bit. The spike
    // is 3x for 2 hours; the fleet ends at the hour the test runs, so how its 2 hours fall into the
    // 3-hour buckets varies (at 2.45x the median at 17:00 UTC): twice the median tells it.
    const highest = Math.max(...own.performance.buckets.map((b) => b.p95DurationMs ?? 0));
    expect(highest).toBeGreaterThan(2 * own.summary.medianDurationMs!);
    const top = highest * 1.05;
    expect(below[0].text).toBe(top >= 60_000 ? `${(top / 60_000).toFixed(1)} min` : `${(top / 1000).toFixed(1)} s`);
    expect(below.map((l) => l.text)).toContain('p95 median incident');
    // Drawn: grid lines, two series and the incident bands are paths on that page.
    expect(page.paths).toBeGreaterThan(8);
  }, 60_000);

  it('an implemented insight shows its measured impact in the report', async () => {
    const own = (await report({ workflow: spiked })) as Report;
    const implemented = own.insights.find((i) => i.status === 'implemented')!;
    expect(implemented.measured).not.toBeNull();
    const [{ pages }] = pdfLayouts([(await report({ workflow: spiked, format: 'pdf' })) as Buffer]);
    const text = textOf(pages).replace(/\n/g, ' ');
    expect(text).toContain(`Measured: ${implemented.measured!.quantity}`);
    expect(text).toContain(`${implemented.measured!.runsBefore} and ${implemented.measured!.runsAfter} runs`);
  }, 60_000);
});
