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

const MARGIN = 50;
const INK = '#1f2933';
const MUTED = '#616e7c';
const BAR = '#3274d9';
const FAIL = '#e02f44';

const seconds = (ms: number | null) => (ms === null ? '-' : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);
const percent = (rate: number | null) => (rate === null ? '-' : `${(100 * rate).toFixed(1)}%`);

/** The report as an A4 PDF: text a reader can search and copy, and two charts drawn as vectors. */
export function reportPdf(report: Report, fonts: ReportFonts | undefined = reportFonts()): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: report.title, Author: 'RPA Analytics', Subject: `${report.scope.from} to ${report.scope.to}` } });
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
  const room = (height: number) => {
    if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
  };
  const heading = (text: string) => {
    room(60);
    doc.moveDown(0.8).font(boldFont).fontSize(13).fillColor(INK).text(text, MARGIN).moveDown(0.3).font(regular).fontSize(9.5);
  };
  const line = (text: string, color = INK) => {
    room(14);
    doc.fillColor(color).text(text, MARGIN, undefined, { width });
  };
  const table = (header: string[], rows: string[][], widths: number[]) => {
    const row = (cells: string[], bold: boolean) => {
      const height = Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i] - 4 }))) + 3;
      room(height);
      const y = doc.y;
      let x = MARGIN;
      doc.font(bold ? boldFont : regular).fillColor(INK);
      cells.forEach((cell, i) => {
        doc.text(cell, x, y, { width: widths[i] - 4 });
        x += widths[i];
      });
      doc.x = MARGIN;
      doc.y = y + height;
    };
    doc.fontSize(8.5);
    row(header, true);
    for (const cells of rows) row(cells, false);
    doc.fontSize(9.5);
  };

  doc.font(boldFont).fontSize(18).fillColor(INK).text(report.title);
  doc.font(regular).fontSize(10).fillColor(MUTED).text(`${report.scope.from} to ${report.scope.to} (UTC); generated ${report.generatedAt}`).moveDown();

  heading('Summary');
  const s = report.summary;
  line(`Runs: ${s.runs}   Completed: ${s.completed}   Failures: ${s.failures}   Success rate: ${percent(s.successRate)}`);
  line(`Average duration: ${seconds(s.avgDurationMs)}   Workflows: ${s.workflows}`);

  heading('Runs per day');
  barChart(doc, report.daily.map((d) => ({ label: d.day.slice(5), value: d.runs, part: d.failures })), width, 'runs (red: failed)');

  heading('Statistics');
  table(
    ['Workflow', 'Runs', 'Success', 'Mean', 'Median', 'P95', 'P99'],
    report.statistics.map((r) => [r.workflow, String(r.runs), percent(r.successRate), seconds(r.avgDurationMs), seconds(r.medianDurationMs), seconds(r.p95DurationMs), seconds(r.p99DurationMs)]),
    [150, 45, 55, 55, 55, 67, 68],
  );
  if (report.statistics.length > 1) {
    heading('P95 duration by workflow');
    barChart(doc, report.statistics.map((r) => ({ label: r.workflow, value: (r.p95DurationMs ?? 0) / 1000 })), width, 'seconds', true);
  }

  heading('Bottleneck steps');
  if (report.bottlenecks.length === 0) line('No step data in this range.', MUTED);
  else
    table(
      ['Workflow', 'Step', 'Share', 'Runs', 'Mean', 'P95', 'Failures'],
      report.bottlenecks.map((b) => [b.workflow, b.step, percent(b.share), String(b.runs), seconds(b.meanMs), seconds(b.p95Ms), String(b.failures)]),
      [120, 120, 50, 45, 55, 55, 50],
    );

  heading('Failures');
  if (report.failures.byErrorType.length === 0) line('No failures in this range.', MUTED);
  for (const t of report.failures.byErrorType) line(`${t.errorType}: ${t.count}`);
  for (const p of report.failures.patterns) line(`${p.count} x ${p.pattern}${p.isNew ? ' (new)' : ''} - ${p.workflows.join(', ')}`, MUTED);

  heading('Anomalies and incidents');
  if (report.anomalies.length === 0 && report.incidents.length === 0) line('None in this range.', MUTED);
  for (const i of report.incidents) line(`Incident ${i.status}, severity ${i.severity.toFixed(2)}, from ${i.startedAt}: ${i.title}`);
  for (const a of report.anomalies) line(`${a.startedAt} ${a.metric} ${a.workflow ?? a.host ?? ''} (severity ${a.severity.toFixed(2)}, ${a.status}): ${a.description}`);

  heading('Insights');
  if (report.insights.length === 0) line('No insights yet.', MUTED);
  for (const i of report.insights) {
    line(`[${i.category}] ${i.title}${i.workflow ? ` (${i.workflow})` : ''} - ${i.status}${i.measuredChangePct !== null ? `, measured change ${i.measuredChangePct.toFixed(1)}%` : ''}`);
    line(i.recommendation, MUTED);
  }
  doc.end();
  return done;
}

/** Vertical bars (days) or horizontal bars (workflows), with `part` of each bar drawn in red. */
function barChart(doc: PDFKit.PDFDocument, bars: Array<{ label: string; value: number; part?: number }>, width: number, unit: string, horizontal = false): void {
  if (bars.length === 0) {
    doc.fillColor(MUTED).text('No data in this range.');
    return;
  }
  const max = Math.max(...bars.map((b) => b.value), 1);
  const height = horizontal ? bars.length * 16 + 20 : 150;
  if (doc.y + height + 20 > doc.page.height - MARGIN) doc.addPage();
  const top = doc.y + 4;
  doc.fontSize(7.5).fillColor(MUTED).text(`max ${max.toFixed(max < 10 ? 1 : 0)} ${unit}`, MARGIN, top);
  if (horizontal) {
    const labelWidth = 140;
    bars.forEach((b, i) => {
      const y = top + 14 + i * 16;
      doc.fillColor(INK).text(b.label, MARGIN, y + 2, { width: labelWidth - 6, lineBreak: false, ellipsis: true });
      doc.rect(MARGIN + labelWidth, y, ((width - labelWidth - 50) * b.value) / max, 11).fill(BAR);
      doc.fillColor(MUTED).text(b.value.toFixed(1), MARGIN + labelWidth + ((width - labelWidth - 50) * b.value) / max + 4, y + 2, { lineBreak: false });
    });
  } else {
    const plot = { x: MARGIN, y: top + 14, w: width, h: height - 34 };
    const step = plot.w / bars.length;
    doc.moveTo(plot.x, plot.y + plot.h).lineTo(plot.x + plot.w, plot.y + plot.h).strokeColor(MUTED).lineWidth(0.5).stroke();
    bars.forEach((b, i) => {
      const h = (plot.h * b.value) / max;
      const x = plot.x + i * step + step * 0.15;
      doc.rect(x, plot.y + plot.h - h, step * 0.7, h).fill(BAR);
      if (b.part) doc.rect(x, plot.y + plot.h - (plot.h * b.part) / max, step * 0.7, (plot.h * b.part) / max).fill(FAIL);
      if (bars.length <= 31 && (bars.length <= 10 || i % Math.ceil(bars.length / 10) === 0)) doc.fillColor(MUTED).text(b.label, x - 4, plot.y + plot.h + 3, { lineBreak: false });
    });
  }
  doc.x = MARGIN;
  doc.y = top + height;
  doc.fontSize(9.5).fillColor(INK);
}
