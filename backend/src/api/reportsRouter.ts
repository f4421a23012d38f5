import type { Router } from 'express';
import { type RouteGuards, strictRouter } from './routeGuards';
import { z } from 'zod';
import { reportJsonSchema, type Report, type ReportRequest } from '../report/report';
import type { ReportFonts } from '../report/reportPdf';
import { REPORT_FORMATS, renderReport, reportFileName } from '../report/render';
import { rangeQuery } from '@rpa-analytics/contract';
import { parseOrThrow } from './validate';
import { AppError } from '../domain/errors';
import type { ReportScheduler } from '../report/reportSchedule';

const DAY = 86_400_000;
/** A year and a day: a yearly report fits, a report of decades (minutes of work) does not. */
export const MAX_REPORT_DAYS = 366;

const reportQuery = z.strictObject({
  workflow: z.string().min(1, 'must name a workflow').max(512).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  format: z.enum(REPORT_FORMATS).default('json'),
});

/**
 * `GET /reports` (json, csv or pdf; a fleet or one workflow over a range), `GET /reports/schema`,
 * and the reports the schedule wrote: `GET /reports/scheduled` lists them, `GET
 * /reports/scheduled/:name` gives one.
 */
export function reportsRouter(
  guards: RouteGuards,
  build: (request: ReportRequest) => Promise<Report>,
  fonts?: ReportFonts,
  scheduled?: ReportScheduler,
): Router {
  const router = strictRouter();

  router.get('/reports/schema', guards.read, (_req, res) => {
    res.json(reportJsonSchema());
  });

  router.get('/reports/scheduled', guards.read, (_req, res) => {
    res.json({ schedule: scheduled?.schedule ?? 'off', reports: scheduled?.list() ?? [] });
  });

  router.get('/reports/scheduled/:name', guards.read, (req, res) => {
    const file = scheduled?.file(String(req.params.name));
    if (!file) throw new AppError('not_found', `no scheduled report '${req.params.name}': GET /reports/scheduled lists them`);
    res.download(file, String(req.params.name));
  });

  router.get('/reports', guards.read, async (req, res) => {
    const q = parseOrThrow(reportQuery, req.query, 'query');
    const range = parseOrThrow(rangeQuery, { from: q.from, to: q.to }, 'time range');
    const days = (range.to - range.from) / DAY;
    if (days > MAX_REPORT_DAYS) {
      throw new AppError('bad_request', `a report covers at most ${MAX_REPORT_DAYS} days; this range is ${Math.ceil(days)} days: ask for a shorter one`, [
        { field: 'from', message: `must be at most ${MAX_REPORT_DAYS} days before to` },
      ]);
    }
    // Built in the report thread: a fleet report over months reads as much as the heaviest panel.
    const report = await build({ workflow: q.workflow, ...range });
    const { body, type } = await renderReport(report, q.format, fonts);
    res.type(type);
    if (q.format !== 'json') res.attachment(reportFileName(report, q.format));
    res.send(body);
  });

  return router;
}
