import { reportCsv, type Report } from './report';
import { reportPdf, type ReportFonts } from './reportPdf';

export const REPORT_FORMATS = ['json', 'csv', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** `rpa-report-fleet-2026-11-20.pdf`, `rpa-report-invoice-processing-2026-11-20.csv`. */
export function reportFileName(report: Report, format: ReportFormat): string {
  const subject =
    (report.scope.workflow ?? 'fleet')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'workflow';
  return `rpa-report-${subject}-${report.scope.to.slice(0, 10)}.${format}`;
}

/** The report in one format, with its media type. */
export async function renderReport(report: Report, format: ReportFormat, fonts?: ReportFonts): Promise<{ body: Buffer | string; type: string }> {
  if (format === 'csv') return { body: reportCsv(report), type: 'text/csv; charset=utf-8' };
  if (format === 'pdf') return { body: await reportPdf(report, fonts), type: 'application/pdf' };
  return { body: `${JSON.stringify(report, null, 2)}\n`, type: 'application/json; charset=utf-8' };
}
