import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import { z } from 'zod';
import { reportJsonSchema, type Report, type ReportRequest } from '../report/report';
import type { ReportFonts } from '../report/reportPdf';
import { REPORT_FORMATS, renderReport, reportFileName } from '../report/render';
import { rangeQuery } from './analysisSchemas';
import { parseOrThrow } from './validate';

const reportQuery = z.strictObject({
  workflow: z.string().min(1, 'must name a workflow').max(512).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  format: z.enum(REPORT_FORMATS).default('json'),
});

/** `GET /reports` (json, csv or pdf; a fleet or one workflow over a range) and `GET /reports/schema`. */
export function reportsRouter(guards: RouteGuards, build: (request: ReportRequest) => Promise<Report>, fonts?: ReportFonts): Router {
  const router = strictRouter();

  router.get('/reports/schema', guards.read, (_req, res) => {
    res.json(reportJsonSchema());
  });

  router.get('/reports', guards.read, async (req, res) => {
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
