import fs from 'node:fs';
import path from 'node:path';
import { assertCollectorAnswers, CommandError, commandToken, parseOptions, UsageError } from '@rpa-analytics/sdk';
import { rangeQuery } from '@rpa-analytics/contract';
import { REPORT_FORMATS, renderReport, reportFileName, type ReportFormat } from './render';
import { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import { SqliteStore } from '../store/sqlite/sqliteStore';
import { buildReport, type Report } from './report';
import { reportFonts } from './reportPdf';

const USAGE = `npm run report -- (--url URL | --data-dir DIR) [--workflow NAME] [--from T] [--to T] [--format json|csv|pdf] [--out FILE]

Writes a fleet report (or one workflow's, with --workflow) over a range (default: the last 7 days;
times as ISO 8601 or epoch ms): a summary against the previous period, incidents by cause,
durations and success rate over time, bottleneck steps, failures, insights by priority with
measured impact; the PDF has charts with the incidents shaded.
  --url URL       ask a running collector (read token: --token or $RPA_READ_TOKEN)
  --data-dir DIR  read the collector's database file directly (RPA_DATA_DIR; read-only)
  --out FILE      where to write (default: rpa-report-<subject>-<date>.<format> here; - for stdout)
  --font FILE     a TrueType font for the PDF ($RPA_REPORT_FONT; default DejaVu Sans where installed)`;

export async function runReport(argv: string[]): Promise<void> {
  const o = parseOptions(
    argv,
    {
      url: { type: 'string' },
      'data-dir': { type: 'string' },
      token: { type: 'string' },
      workflow: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'json' },
      out: { type: 'string' },
      font: { type: 'string' },
    },
    USAGE,
  );
  if (o.help) return void process.stdout.write(`${USAGE}\n`);
  const format = o.format as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got '${format}'`);
  if (!o.url === !o['data-dir']) throw new UsageError(`give exactly one of --url and --data-dir\n\n${USAGE}`);
  const fontFile = (o.font as string | undefined) ?? process.env.RPA_REPORT_FONT;
  let fonts;
  try {
    fonts = reportFonts(fontFile);
  } catch {
    throw new UsageError(`--font / RPA_REPORT_FONT: cannot read the font file '${fontFile}'`);
  }
  const range = rangeQuery.safeParse({ from: o.from, to: o.to });
  if (!range.success) throw new UsageError(`--from/--to: ${range.error.issues.map((i) => i.message).join('; ')}`);
  // A collector that is not there is said in one line, before anything is asked of it.
  if (o.url) await assertCollectorAnswers(o.url as string);
  const report = o.url
    ? await fetchReport(o.url as string, commandToken(o.token, 'read'), {
        workflow: o.workflow as string | undefined,
        ...range.data,
      })
    : localReport(o['data-dir'] as string, { workflow: o.workflow as string | undefined, ...range.data });
  const { body } = await renderReport(report, format, fonts);
  const out = (o.out as string | undefined) ?? reportFileName(report, format);
  if (out === '-') return void process.stdout.write(body);
  fs.writeFileSync(out, body);
  process.stdout.write(`wrote ${path.resolve(out)} (${Buffer.byteLength(body)} bytes): ${report.title}, ${report.summary.runs} runs\n`);
}

function localReport(dataDir: string, request: { workflow?: string; from: number; to: number }): Report {
  const file = path.join(dataDir, 'rpa-analytics.db');
  if (!fs.existsSync(file)) throw new UsageError(`no collector database at ${file}`);
  const store = new SqliteStore({ file, readonly: true });
  try {
    return buildReport(store, new PerformanceAnalyzer(store), request);
  } finally {
    store.close();
  }
}

async function fetchReport(url: string, token: string | undefined, request: { workflow?: string; from: number; to: number }): Promise<Report> {
  const params = new URLSearchParams({ from: String(request.from), to: String(request.to), format: 'json' });
  if (request.workflow !== undefined) params.set('workflow', request.workflow);
  const response = await fetch(`${url.replace(/\/$/, '')}/api/v1/reports?${params}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await response.json().catch(() => undefined)) as (Report & { error?: { message?: string } }) | undefined;
  if (!response.ok) throw new CommandError(`the collector answered ${response.status}: ${body?.error?.message ?? response.statusText}`);
  return body!;
}
