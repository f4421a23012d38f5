import fs from 'node:fs';
import PDFDocument from 'pdfkit';
import type { Report } from './report';

/** TrueType fonts for the PDF's text; without them PDFKit's Helvetica (Latin-1 only). */
export interface ReportFonts {
  regular: string;
  bold: string;
}

/** Debian's DejaVu Sans (Latin, Greek, Cyrillic and more), used when present. */
const DEJAVU = { regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' };

/**
 * The fonts for reports: `file` (a TrueType font covering the workflows' scripts, e.g. Noto Sans
 * CJK for Japanese names) for all text, else DejaVu Sans where installed, else Helvetica.
 * @throws Error when `file` cannot be read.
 */
export function reportFonts(file?: string): ReportFonts | undefined {
  if (file) {
    fs.accessSync(file, fs.constants.R_OK);
    return { regular: file, bold: file };
  }
  return fs.existsSync(DEJAVU.regular) && fs.existsSync(DEJAVU.bold) ? DEJAVU : undefined;
}

/** How many items of each long list the PDF shows; the JSON and CSV hold them all. */
export const PDF_TOP = { incidents: 8, anomalies: 5, statistics: 20, patterns: 8, insights: 8 };

/** The PDF's section headings, in the order they appear. */
export const PDF_SECTIONS = ['Summary', 'What happened', 'How it performed', 'Where time goes', 'What failed', 'What to improve'] as const;

const MARGIN = 50;
const INK = '#1f2933';
const MUTED = '#616e7c';
const GRID = '#cbd2d9';
const BAR = '#3274d9';
const P95 = '#e0752d';
const FAIL = '#e02f44';
const BAND = '#f2495c';
const SIZE = { title: 18, heading: 13, subheading: 10.5, body: 9.5, table: 8.5, small: 7.5 };

const seconds = (ms: number | null) => (ms === null ? '-' : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);
const percent = (rate: number | null) => (rate === null ? '-' : `${(100 * rate).toFixed(1)}%`);
const signed = (pct: number) => `${pct > 0 ? '+' : pct < 0 ? '\u2212' : ''}${Math.abs(pct).toFixed(Math.abs(pct) < 10 ? 1 : 0)}%`;
/** `11-18 09:00` (UTC). */
const when = (iso: string) => `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
const hours = (from: string, to: string) => {
  const h = (Date.parse(to) - Date.parse(from)) / 3_600_000;
  return h < 1 ? `${Math.max(1, Math.round(h * 60))} min` : `${h.toFixed(h < 10 ? 1 : 0)} h`;
};
/** `(+12%)`, when the previous period had enough runs (`base`) for a change to mean something. */
const change = (now: number | null, before: number | null, base: number) =>
  now === null || before === null || before === 0 || base < MIN_BASE_RUNS ? '' : ` (${signed((100 * (now - before)) / before)})`;
/** Fewer runs before than this and a change in percent says more about chance than the fleet. */
const MIN_BASE_RUNS = 20;
/** Total time: `3.2 h`, `45 min`. */
const total = (ms: number) => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.round(ms / 60_000)} min`);
const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

type Cell = string;

/**
 * The report as an A4 PDF that reads top-down: a summary against the previous period, what
 * happened (incidents by cause), how the fleet or workflow performed (success rate and durations
 * over time with incidents shaded), where time goes, what failed, what to improve. Long lists show
 * their top items and a count; the JSON and CSV hold them all. A heading always starts on the page
 * of its first content.
 */
export function reportPdf(report: Report, fonts: ReportFonts | undefined = reportFonts()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: report.title, Author: 'RPA Analytics', Subject: `${report.scope.from} to ${report.scope.to}` },
  });
  let regular = 'Helvetica';
  let boldFont = 'Helvetica-Bold';
  if (fonts) {
    doc.registerFont('Body', fonts.regular);
    doc.registerFont('Body-Bold', fonts.bold);
    [regular, boldFont] = ['Body', 'Body-Bold'];
  }
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN;
  /** A new page unless `height` more fits on this one. */
  const room = (height: number) => {
    if (doc.y + height > bottom()) doc.addPage();
  };
  const textHeight = (text: string, size: number, w = width, font = regular) => doc.font(font).fontSize(size).heightOfString(text, { width: w });
  const headingGap = (size: number) => (size === SIZE.heading ? 14 : 8);
  /** The room a heading takes: its gap above, its text, the space below. */
  const headingHeight = (text: string, size = SIZE.heading) => headingGap(size) + textHeight(text, size, width, boldFont) + 4;
  /** A heading kept on the page of the first `keep` points of what follows it. */
  const heading = (text: string, keep: number, size = SIZE.heading) => {
    room(headingHeight(text, size) + keep);
    if (doc.y > MARGIN) doc.y += headingGap(size);
    doc.font(boldFont).fontSize(size).fillColor(INK).text(text, MARGIN, doc.y, { width });
    doc.y += 4;
    doc.font(regular).fontSize(SIZE.body);
  };
  const paragraph = (text: string, color = INK, size = SIZE.body) => {
    room(textHeight(text, size));
    doc.font(regular).fontSize(size).fillColor(color).text(text, MARGIN, doc.y, { width });
    doc.y += 2;
  };
  const rowHeight = (cells: Cell[], widths: number[], bold: boolean) =>
    Math.max(...cells.map((c, i) => textHeight(c, SIZE.table, widths[i] - 6, bold ? boldFont : regular))) + 4;
  /** A table whose header is repeated on every page it runs onto; widths are shares of the width. */
  const table = (header: Cell[], rows: Cell[][], shares: number[]) => {
    const total = shares.reduce((a, b) => a + b, 0);
    const widths = shares.map((s) => (width * s) / total);
    const draw = (cells: Cell[], bold: boolean) => {
      const y = doc.y;
      let x = MARGIN;
      doc
        .font(bold ? boldFont : regular)
        .fontSize(SIZE.table)
        .fillColor(INK);
      cells.forEach((cell, i) => {
        doc.text(cell, x, y, { width: widths[i] - 6 });
        x += widths[i];
      });
      doc.y = y + rowHeight(cells, widths, bold);
      if (bold)
        doc
          .moveTo(MARGIN, doc.y - 2)
          .lineTo(MARGIN + width, doc.y - 2)
          .strokeColor(GRID)
          .lineWidth(0.5)
          .stroke();
    };
    const headerHeight = rowHeight(header, widths, true);
    draw(header, true);
    for (const cells of rows) {
      const height = rowHeight(cells, widths, false);
      if (doc.y + height > bottom()) {
        doc.addPage();
        draw(header, true);
      }
      draw(cells, false);
    }
    doc.x = MARGIN;
    doc.font(regular).fontSize(SIZE.body);
    return headerHeight;
  };
  /** Room a table's heading must keep with: its header and first row. */
  const tableStart = (header: Cell[], first: Cell[] | undefined, shares: number[]) => {
    const total = shares.reduce((a, b) => a + b, 0);
    const widths = shares.map((s) => (width * s) / total);
    return rowHeight(header, widths, true) + (first ? rowHeight(first, widths, false) : 0);
  };
  const more = (shown: number, total: number, what: string, whats = `${what}s`) => {
    if (total > shown)
      paragraph(`... and ${plural(total - shown, `more ${what}`, `more ${whats}`)}; the CSV and JSON reports list all ${total}.`, MUTED, SIZE.table);
  };
  const s = report.summary;
  const p = s.previous;
  const subject = report.scope.workflow ?? 'the fleet';

  doc.font(boldFont).fontSize(SIZE.title).fillColor(INK).text(report.title, MARGIN, MARGIN, { width });
  doc.font(regular).fontSize(10).fillColor(MUTED).text(`${report.scope.from} to ${report.scope.to} (UTC); generated ${report.generatedAt}`, { width });

  // Summary: the headline figures against the previous period.
  const span = periodName(Date.parse(report.scope.to) - Date.parse(report.scope.from));
  const headline = [
    `${plural(s.runs, 'run')} of ${plural(s.workflows, 'workflow')}, ${percent(s.successRate)} succeeded, ${plural(s.failures, 'failure')}. ` +
      `Median run ${seconds(s.medianDurationMs)}, p95 ${seconds(s.p95DurationMs)}.`,
    p.runs > 0
      ? `The previous ${span}: ${plural(p.runs, 'run')}${change(s.runs, p.runs, p.runs)}, ${percent(p.successRate)} succeeded, median ${seconds(p.medianDurationMs)}, p95 ${seconds(p.p95DurationMs)}${change(s.p95DurationMs, p.p95DurationMs, p.runs)}.`
      : `No runs in the previous ${span} to compare with.`,
    s.incidents === 0 ? 'No incidents.' : `${plural(s.incidents, 'incident')} (${incidentCounts(report)}); the most severe: ${report.incidents[0].title}.`,
  ];
  heading(PDF_SECTIONS[0], textHeight(headline[0], SIZE.body));
  for (const text of headline) paragraph(text);

  // What happened: incidents by cause, the most severe first.
  const incidentShares = [14, 11, 41, 34];
  const incidentHeader = ['When (UTC)', 'Severity', 'Incident, and what it hit', 'What to do'];
  const incidentRows = report.incidents
    .slice(0, PDF_TOP.incidents)
    .map((i) => [
      `${when(i.startedAt)}\n${i.status === 'open' ? 'open' : `for ${hours(i.startedAt, i.endedAt ?? i.lastSeenAt)}`}`,
      `${i.severityLabel}\n${i.severity.toFixed(2)}`,
      `${i.title}\nHit: ${few([...i.workflows, ...i.hosts], 4) || '-'}; ${plural(i.anomalies, 'anomaly', 'anomalies')}`,
      i.recommendation ?? '-',
    ]);
  if (incidentRows.length === 0) {
    heading(PDF_SECTIONS[1], textHeight('No', SIZE.body));
    paragraph(`No incidents on ${subject} in this period.`, MUTED);
  } else {
    heading(PDF_SECTIONS[1], tableStart(incidentHeader, incidentRows[0], incidentShares));
    table(incidentHeader, incidentRows, incidentShares);
    more(incidentRows.length, s.incidents, 'incident');
  }
  if (report.anomalies.length > 0) {
    const byMetric = new Map<string, number>();
    for (const a of report.anomalies) byMetric.set(a.metric, (byMetric.get(a.metric) ?? 0) + 1);
    const counts = [...byMetric]
      .sort((a, b) => b[1] - a[1])
      .map(([metric, n]) => `${metric.replace(/_/g, ' ')} ${n}`)
      .join(', ');
    const top = report.anomalies
      .slice(0, PDF_TOP.anomalies)
      .map((a) => `${when(a.startedAt)}  ${a.workflow ?? a.host ?? (a.robot ? `robot ${a.robot}` : 'the fleet')}: ${a.description}`);
    heading(`The most severe anomalies (${s.anomalies}: ${counts})`, textHeight(top[0], SIZE.table), SIZE.subheading);
    for (const line of top) paragraph(line, INK, SIZE.table);
    more(top.length, s.anomalies, 'anomaly', 'anomalies');
  }

  // How it performed: over time with incidents shaded, then each workflow against the previous period.
  const bands = report.incidents.map((i) => ({ from: Date.parse(i.startedAt), to: Date.parse(i.endedAt ?? i.lastSeenAt) }));
  const range = { from: Date.parse(report.scope.from), to: Date.parse(report.scope.to) };
  // Each point at the middle of its bucket's part of the period.
  const buckets = report.performance.buckets.map((b) => {
    const start = Date.parse(b.time);
    return { ...b, middle: (Math.max(start, range.from) + Math.min(start + report.performance.bucketMs, range.to)) / 2 };
  });
  const chartHeight = 150;
  const per =
    `per ${report.performance.bucketMs >= 86_400_000 ? plural(report.performance.bucketMs / 86_400_000, 'day') : plural(report.performance.bucketMs / 3_600_000, 'hour')}`.replace(
      /^per 1 (\w+)$/,
      'per $1',
    );
  // A fleet's runs mix workflows of every length: each run is measured against its workflow's median.
  const fleet = report.scope.workflow === null;
  const durationHeading = fleet ? `Run duration against each workflow's median (1x = usual), ${per}` : `Run duration: median and p95, ${per}`;
  heading(PDF_SECTIONS[2], headingHeight(durationHeading, SIZE.subheading) + chartHeight);
  heading(durationHeading, chartHeight, SIZE.subheading);
  timeChart(doc, {
    range,
    bands,
    height: chartHeight,
    width,
    series: [
      { label: 'p95', color: P95, values: buckets.map((b) => ({ time: b.middle, value: fleet ? b.p95Relative : b.p95DurationMs })) },
      { label: 'median', color: BAR, values: buckets.map((b) => ({ time: b.middle, value: fleet ? b.medianRelative : b.medianDurationMs })) },
    ],
    format: fleet ? (v) => `${v.toFixed(1)}x` : seconds,
  });
  heading('Success rate', chartHeight, SIZE.subheading);
  const lowest = Math.min(...buckets.map((b) => b.successRate ?? 1));
  timeChart(doc, {
    range,
    bands,
    height: chartHeight,
    width,
    min: Math.min(0.5, Math.floor(lowest * 10) / 10),
    max: 1,
    series: [{ label: 'success rate', color: BAR, values: buckets.map((b) => ({ time: b.middle, value: b.successRate })) }],
    format: (v) => `${Math.round(100 * v)}%`,
  });
  const partial = range.from % 86_400_000 !== 0 || range.to % 86_400_000 !== 0;
  heading(`Runs per day (red: failed)${partial ? '; the first and last days are partial' : ''}`, 130, SIZE.subheading);
  barChart(
    doc,
    report.daily.map((d) => ({ label: d.day.slice(5), value: d.runs, part: d.failures })),
    width,
  );
  const statsShares = [30, 16, 18, 12, 24];
  const statsHeader = ['Workflow', 'Runs (previous)', 'Success (previous)', 'Median', 'P95 (previous)'];
  const statsRows = [...report.statistics]
    .sort((a, b) => b.runs - a.runs)
    .slice(0, PDF_TOP.statistics)
    .map((r) => [
      r.workflow,
      `${r.runs} (${r.previous.runs})`,
      `${percent(r.successRate)} (${percent(r.previous.successRate)})`,
      seconds(r.medianDurationMs),
      `${seconds(r.p95DurationMs)} (${seconds(r.previous.p95DurationMs)})${change(r.p95DurationMs, r.previous.p95DurationMs, r.previous.runs)}`,
    ]);
  if (statsRows.length > 0) {
    heading(`Against the previous ${span}`, tableStart(statsHeader, statsRows[0], statsShares), SIZE.subheading);
    table(statsHeader, statsRows, statsShares);
    more(statsRows.length, report.statistics.length, 'workflow');
  }

  // Where time goes.
  const stepShares = [22, 22, 11, 10, 9, 9, 9, 8];
  const stepHeader = ['Workflow', 'Step', 'Total time', 'Share of run', 'Runs', 'Mean', 'P95', 'Failures'];
  const stepRows = report.bottlenecks.map((b) => [
    b.workflow,
    b.step,
    total(b.totalMs),
    percent(b.share),
    String(b.runs),
    seconds(b.meanMs),
    seconds(b.p95Ms),
    String(b.failures),
  ]);
  heading(PDF_SECTIONS[3], stepRows.length ? tableStart(stepHeader, stepRows[0], stepShares) : textHeight('No', SIZE.body));
  if (stepRows.length === 0) paragraph('No step data in this period.', MUTED);
  else table(stepHeader, stepRows, stepShares);

  // What failed.
  const errorShares = [50, 15, 35];
  const errorHeader = ['Error type', 'Runs', 'Share of failures'];
  const errorRows = report.failures.byErrorType.map((t) => [t.errorType, String(t.count), percent(s.failures > 0 ? t.count / s.failures : null)]);
  heading(PDF_SECTIONS[4], errorRows.length ? tableStart(errorHeader, errorRows[0], errorShares) : textHeight('No', SIZE.body));
  if (errorRows.length === 0) paragraph('No failures in this period.', MUTED);
  else {
    table(errorHeader, errorRows, errorShares);
    const patterns = report.failures.patterns.slice(0, PDF_TOP.patterns);
    if (patterns.length > 0) {
      const patternShares = [8, 62, 30];
      const patternHeader = ['Runs', "Error pattern (NEW: first seen in this period's last quarter)", 'Workflows'];
      const patternRows = patterns.map((x) => [String(x.count), `${x.isNew ? 'NEW  ' : ''}${x.pattern}`, few(x.workflows)]);
      heading('Error patterns', tableStart(patternHeader, patternRows[0], patternShares), SIZE.subheading);
      table(patternHeader, patternRows, patternShares);
      more(patterns.length, report.failures.patterns.length, 'pattern');
    }
  }

  // What to improve: insights by priority; the implemented ones with their measured impact.
  const insights = report.insights.slice(0, PDF_TOP.insights);
  const insightLines = insights.map((i) => {
    const expected = `Expected: ${i.expectedImpact.replace(/\.+$/, '')}.`;
    const lines = [i.recommendation];
    if (i.status !== 'implemented') lines.push(expected);
    else {
      const m = i.measured;
      // What was expected, and beside it what was measured on the quantity the insight is about.
      lines.push(
        `Implemented ${i.implementedAt?.slice(0, 10) ?? ''}. ${expected} ` +
          (m
            ? `Measured: ${m.quantity} ${formatMeasure(m.quantity, m.before)} before, ${formatMeasure(m.quantity, m.after)} after ` +
              `(${signed(m.changePct)}, ${m.direction}${m.significant ? `, p = ${m.pValue.toPrecision(2)}` : ', not significant'}; ${m.runsBefore} and ${m.runsAfter} runs).`
            : 'Not measured yet: it needs runs after the change.'),
      );
    }
    return {
      title: `${i.priority.toFixed(2)}  ${i.title}${i.workflow && !i.title.includes(i.workflow) ? ` (${i.workflow})` : ''}${i.status === 'implemented' ? ' - implemented' : ''}`,
      lines,
    };
  });
  const insightHeight = (x: { title: string; lines: string[] }) =>
    textHeight(x.title, SIZE.body, width, boldFont) + x.lines.reduce((h, l) => h + textHeight(l, SIZE.table) + 2, 0) + 6;
  heading(PDF_SECTIONS[5], insights.length ? insightHeight(insightLines[0]) : textHeight('No', SIZE.body));
  if (insights.length === 0) paragraph('No insights yet.', MUTED);
  for (const x of insightLines) {
    room(insightHeight(x));
    doc.font(boldFont).fontSize(SIZE.body).fillColor(INK).text(x.title, MARGIN, doc.y, { width });
    for (const l of x.lines) paragraph(l, l.startsWith('Implemented') ? INK : MUTED, SIZE.table);
    doc.y += 4;
  }
  more(insights.length, report.insights.length, 'insight');
  doc.end();
  return done;
}

/** The first few names and how many more: `A, B, C and 9 more`. */
function few(names: readonly string[], shown = 3): string {
  return names.length <= shown + 1 ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** A period's length in words: `day`, `7 days`, `6 hours`, `35.5 hours`. */
function periodName(ms: number): string {
  const days = ms / 86_400_000;
  const h = ms / 3_600_000;
  if (days === 1) return 'day';
  if (Number.isInteger(days)) return `${days} days`;
  if (h === 1) return 'hour';
  return Number.isInteger(h) ? `${h} hours` : `${h.toFixed(1)} hours`;
}

function incidentCounts(report: Report): string {
  const counts = new Map<string, number>();
  for (const i of report.incidents) counts.set(i.severityLabel, (counts.get(i.severityLabel) ?? 0) + 1);
  return ['critical', 'high', 'medium', 'low']
    .filter((l) => counts.has(l))
    .map((l) => `${counts.get(l)} ${l}`)
    .join(', ');
}

function formatMeasure(quantity: string, value: number): string {
  return /rate|share/.test(quantity) ? percent(value) : seconds(value);
}

interface TimeChart {
  range: { from: number; to: number };
  series: Array<{ label: string; color: string; values: Array<{ time: number; value: number | null }> }>;
  /** Incidents, drawn as shaded bands. */
  bands: Array<{ from: number; to: number }>;
  width: number;
  height: number;
  min?: number;
  max?: number;
  format: (value: number) => string;
}

/** Lines over time, gaps where a bucket had no runs, incidents as shaded bands behind them. */
function timeChart(doc: PDFKit.PDFDocument, chart: TimeChart): void {
  const values = chart.series.flatMap((s) => s.values.map((v) => v.value)).filter((v): v is number => v !== null);
  const top = doc.y;
  if (values.length === 0) {
    doc.fontSize(SIZE.body).fillColor(MUTED).text('No runs in this period.', MARGIN, top);
    return;
  }
  const lo = chart.min ?? 0;
  const hi = chart.max ?? Math.max(...values) * 1.05;
  const axis = 46;
  const plot = { x: MARGIN + axis, y: top + 4, w: chart.width - axis, h: chart.height - 30 };
  const xOf = (time: number) => plot.x + ((time - chart.range.from) / (chart.range.to - chart.range.from)) * plot.w;
  const yOf = (value: number) => plot.y + plot.h - ((value - lo) / (hi - lo || 1)) * plot.h;
  doc.save();
  doc.fillColor(BAND).fillOpacity(0.15);
  for (const band of chart.bands) {
    const x0 = Math.max(plot.x, xOf(band.from));
    const x1 = Math.min(plot.x + plot.w, xOf(band.to));
    if (x1 > x0 - 1) doc.rect(x0, plot.y, Math.max(1.5, x1 - x0), plot.h).fill();
  }
  doc.restore();
  doc.fontSize(SIZE.small);
  for (let i = 0; i <= 3; i++) {
    const value = lo + ((hi - lo) * i) / 3;
    const y = yOf(value);
    doc
      .moveTo(plot.x, y)
      .lineTo(plot.x + plot.w, y)
      .strokeColor(GRID)
      .lineWidth(0.4)
      .stroke();
    doc.fillColor(MUTED).text(chart.format(value), MARGIN, y - 3.5, { width: axis - 4, align: 'right', lineBreak: false });
  }
  const days = (chart.range.to - chart.range.from) / 86_400_000;
  const tick = days <= 2 ? 6 * 3_600_000 : Math.ceil(days / 8) * 86_400_000;
  for (let t = Math.ceil(chart.range.from / tick) * tick; t <= chart.range.to; t += tick) {
    const iso = new Date(t).toISOString();
    const label = days <= 2 ? iso.slice(11, 16) : iso.slice(5, 10);
    // Centred under its time, but never under the y axis's labels nor past the plot's right end.
    const x = Math.min(Math.max(plot.x, xOf(t) - doc.widthOfString(label) / 2), plot.x + plot.w - doc.widthOfString(label));
    doc.fillColor(MUTED).text(label, x, plot.y + plot.h + 3, { lineBreak: false });
  }
  for (const s of chart.series) {
    let drawing = false;
    for (const point of s.values) {
      if (point.value === null) {
        drawing = false;
        continue;
      }
      const x = xOf(point.time) + 0.5;
      const y = yOf(point.value);
      if (drawing) doc.lineTo(x, y);
      else doc.moveTo(x, y);
      drawing = true;
    }
    doc.strokeColor(s.color).lineWidth(1.2).stroke();
  }
  let x = plot.x;
  const legend = plot.y + plot.h + 14;
  for (const s of chart.series) {
    doc.rect(x, legend + 1, 10, 4).fill(s.color);
    doc.fillColor(INK).text(s.label, x + 13, legend, { lineBreak: false });
    x += 20 + doc.widthOfString(s.label);
  }
  if (chart.bands.length > 0) {
    doc
      .save()
      .fillColor(BAND)
      .fillOpacity(0.15)
      .rect(x, legend - 1, 10, 8)
      .fill()
      .restore();
    doc.fillColor(INK).text('incident', x + 13, legend, { lineBreak: false });
  }
  doc.x = MARGIN;
  doc.y = top + chart.height;
  doc.fontSize(SIZE.body).fillColor(INK);
}

/** Vertical bars, one a day, with `part` of each bar drawn in red. */
function barChart(doc: PDFKit.PDFDocument, bars: Array<{ label: string; value: number; part?: number }>, width: number): void {
  if (bars.length === 0) {
    doc.fontSize(SIZE.body).fillColor(MUTED).text('No data in this period.', MARGIN);
    return;
  }
  const max = Math.max(...bars.map((b) => b.value), 1);
  const height = 130;
  const top = doc.y;
  doc
    .fontSize(SIZE.small)
    .fillColor(MUTED)
    .text(`max ${max.toFixed(0)} runs`, MARGIN, top);
  const plot = { x: MARGIN, y: top + 14, w: width, h: height - 34 };
  const step = plot.w / bars.length;
  doc
    .moveTo(plot.x, plot.y + plot.h)
    .lineTo(plot.x + plot.w, plot.y + plot.h)
    .strokeColor(MUTED)
    .lineWidth(0.5)
    .stroke();
  const every = Math.ceil(bars.length / 16);
  bars.forEach((b, i) => {
    const h = (plot.h * b.value) / max;
    const x = plot.x + i * step + step * 0.15;
    doc.rect(x, plot.y + plot.h - h, step * 0.7, h).fill(BAR);
    if (b.part) doc.rect(x, plot.y + plot.h - (plot.h * b.part) / max, step * 0.7, (plot.h * b.part) / max).fill(FAIL);
    if (i % every === 0) doc.fillColor(MUTED).text(b.label, Math.max(plot.x, x - 4), plot.y + plot.h + 3, { lineBreak: false });
  });
  doc.x = MARGIN;
  doc.y = top + height;
  doc.fontSize(SIZE.body).fillColor(INK);
}
