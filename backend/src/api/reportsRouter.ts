import { Router } from 'express';
import { z } from 'zod';
import { reportCsv, reportJsonSchema, type Report, type ReportRequest } from '../report/report';
import { reportPdf, type ReportFonts } from '../report/reportPdf';
import { rangeQuery } from './analysisSchemas';
import { parseOrThrow } from './validate';

export const REPORT_FORMATS = ['json', 'csv', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const reportQuery = z.strictObject({
  workflow: z.string().min(1, 'must name a workflow').max(512).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  format: z.enum(REPORT_FORMATS).default('json'),
});

/** `rpa-report-fleet-2026-11-20.pdf`, `rpa-report-invoice-processing-2026-11-20.csv`. */
export function reportFileName(report: Report, format: ReportFormat): string {
  const subject = (report.scope.workflow ?? 'fleet').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'workflow';
  return `rpa-report-${subject}-${report.scope.to.slice(0, 10)}.${format}`;
}

/** The report in one format, with its media type. */
export async function renderReport(report: Report, format: ReportFormat, fonts?: ReportFonts): Promise<{ body: Buffer | string; type: string }> {
  if (format === 'csv') return { body: reportCsv(report), type: 'text/csv; charset=utf-8' };
  if (format === 'pdf') return { body: await reportPdf(report, fonts), type: 'application/pdf' };
  return { body: `${JSON.stringify(report, null, 2)}\n`, type: 'application/json; charset=utf-8' };
}

/** `GET /reports` (json, csv or pdf; a fleet or one workflow over a range) and `GET /reports/schema`. */
export function reportsRouter(build: (request: ReportRequest) => Promise<Report>, fonts?: ReportFonts): Router {
  const router = Router();

  router.get('/reports/schema', (_req, res) => {
    res.json(reportJsonSchema());
  });

  router.get('/reports', async (req, res) => {
    const q = parseOrThrow(reportQuery, req.query, 'query');
    const range = parseOrThrow(rangeQuery, { from: q.from, to: q.to }, 'time range');
    // Built in a query worker: a fleet report over months reads as much as the heaviest panel.
    const report = await build({ workflow: q.workflow, ...range });
    const { body, type } = await renderReport(report, q.format, fonts);
    res.type(type);
    if (q.format !== 'json') res.attachment(reportFileName(report, q.format));
    res.send(body);
  });

  return router;
}
