import { z } from 'zod';
import { AppError } from '../domain/errors';
import type { PerformanceAnalyzer } from '../engine/performanceAnalyzer';
import type { Store } from '../store/store';

const DAY = 86_400_000;
const ms = z.number().nullable();
const iso = z.iso.datetime();

/**
 * A report's JSON shape, its single definition: types, the API's JSON, the CSV and the PDF all
 * come from it, and `docs/report.schema.json` is generated from it (a test keeps them equal).
 */
export const reportSchema = z
  .object({
    schemaVersion: z.literal(1),
    title: z.string(),
    generatedAt: iso,
    scope: z.object({ workflow: z.string().nullable(), from: iso, to: iso }),
    summary: z.object({
      workflows: z.number().int(),
      runs: z.number().int(),
      completed: z.number().int(),
      failures: z.number().int(),
      successRate: z.number().min(0).max(1).nullable(),
      avgDurationMs: ms,
    }),
    statistics: z.array(
      z.object({
        workflow: z.string(),
        runs: z.number().int(),
        completed: z.number().int(),
        successRate: z.number().min(0).max(1).nullable(),
        avgDurationMs: ms,
        medianDurationMs: ms,
        p95DurationMs: ms,
        p99DurationMs: ms,
        minDurationMs: ms,
        maxDurationMs: ms,
        stdDevDurationMs: ms,
      }),
    ),
    bottlenecks: z.array(
      z.object({ workflow: z.string(), step: z.string(), share: z.number(), runs: z.number().int(), meanMs: z.number(), p95Ms: z.number(), totalMs: z.number(), failures: z.number().int() }),
    ),
    failures: z.object({
      byErrorType: z.array(z.object({ errorType: z.string(), count: z.number().int() })),
      patterns: z.array(z.object({ pattern: z.string(), example: z.string(), errorType: z.string().nullable(), count: z.number().int(), workflows: z.array(z.string()), isNew: z.boolean() })),
    }),
    daily: z.array(z.object({ day: z.iso.date(), runs: z.number().int(), failures: z.number().int(), successRate: z.number().min(0).max(1).nullable() })),
    anomalies: z.array(
      z.object({
        id: z.string(), metric: z.string(), workflow: z.string().nullable(), host: z.string().nullable(), status: z.enum(['open', 'closed']),
        severity: z.number(), startedAt: iso, lastSeenAt: iso, expected: z.number(), observed: z.number(), description: z.string(),
      }),
    ),
    incidents: z.array(z.object({ id: z.string(), title: z.string(), status: z.enum(['open', 'closed']), severity: z.number(), startedAt: iso, lastSeenAt: iso, workflows: z.array(z.string()) })),
    insights: z.array(
      z.object({
        id: z.string(), category: z.string(), workflow: z.string().nullable(), title: z.string(), recommendation: z.string(), status: z.enum(['open', 'implemented']),
        priority: z.number(), expectedImpact: z.string(), measuredChangePct: z.number().nullable(),
      }),
    ),
  })
  .strict();

export type Report = z.infer<typeof reportSchema>;

/** The report schema as JSON Schema (draft 2020-12), for `docs/report.schema.json` and clients. */
export function reportJsonSchema(): Record<string, unknown> {
  return { $id: 'urn:rpa-analytics:report:1', title: 'RPA Analytics report', ...z.toJSONSchema(reportSchema) };
}

export interface ReportRequest {
  /** One workflow, or the whole fleet when absent. */
  workflow?: string;
  from: number;
  to: number;
}

const isoOf = (time: number) => new Date(time).toISOString();
const TOP = { bottlenecks: 10, patterns: 10, anomalies: 50, incidents: 20, insights: 20 };

/**
 * A fleet or workflow report over a range: summary, per-workflow statistics, bottleneck steps,
 * failures by error type and pattern, runs per day, anomalies and incidents, insights.
 * @throws AppError `not_found` when the workflow was never recorded.
 */
export function buildReport(store: Store, performance: PerformanceAnalyzer, request: ReportRequest, now = Date.now()): Report {
  const known = store.names('workflows');
  if (request.workflow !== undefined && !known.includes(request.workflow)) throw new AppError('not_found', `no workflow '${request.workflow}' has been recorded`);
  const workflows = request.workflow !== undefined ? [request.workflow] : known;
  const range = { from: request.from, to: request.to };
  const stats = performance.compareWorkflows(workflows, range).filter((s) => s.runs > 0).sort((a, b) => a.workflow.localeCompare(b.workflow));
  const success = performance.analyzeSuccess(request.workflow, range, DAY);
  const completed = stats.reduce((n, s) => n + s.completed, 0);
  const timed = stats.filter((s) => s.avgDurationMs !== null);
  const bottlenecks = stats
    .flatMap((s) => performance.bottlenecks(s.workflow, range).map((b) => ({ workflow: s.workflow, ...b })))
    .sort((a, b) => b.totalMs - a.totalMs)
    .slice(0, TOP.bottlenecks);
  const inScope = (workflows: readonly string[]) => request.workflow === undefined || workflows.includes(request.workflow);
  return {
    schemaVersion: 1,
    title: request.workflow !== undefined ? `Workflow report: ${request.workflow}` : 'Fleet report',
    generatedAt: isoOf(now),
    scope: { workflow: request.workflow ?? null, from: isoOf(request.from), to: isoOf(request.to) },
    summary: {
      workflows: stats.length,
      runs: success.runs,
      completed,
      failures: success.failures,
      successRate: success.successRate,
      avgDurationMs: completed > 0 ? timed.reduce((sum, s) => sum + s.avgDurationMs! * s.completed, 0) / completed : null,
    },
    statistics: stats.map((s) => ({
      workflow: s.workflow, runs: s.runs, completed: s.completed, successRate: s.successRate, avgDurationMs: s.avgDurationMs, medianDurationMs: s.medianDurationMs,
      p95DurationMs: s.p95DurationMs, p99DurationMs: s.p99DurationMs, minDurationMs: s.minDurationMs, maxDurationMs: s.maxDurationMs, stdDevDurationMs: s.stdDevDurationMs,
    })),
    bottlenecks: bottlenecks.map((b) => ({ workflow: b.workflow, step: b.step, share: b.share, runs: b.count, meanMs: b.meanMs, p95Ms: b.p95Ms, totalMs: b.totalMs, failures: b.failures })),
    failures: {
      byErrorType: Object.entries(success.byErrorType)
        .map(([errorType, count]) => ({ errorType, count }))
        .sort((a, b) => b.count - a.count || a.errorType.localeCompare(b.errorType)),
      patterns: success.patterns.slice(0, TOP.patterns).map((p) => ({ pattern: p.fingerprint, example: p.example, errorType: p.errorType, count: p.count, workflows: p.workflows, isNew: p.isNew })),
    },
    daily: success.overTime.map((b) => ({ day: isoOf(b.time).slice(0, 10), runs: b.runs, failures: b.failures, successRate: b.successRate })),
    anomalies: store.listAnomalies({ ...range, workflows: request.workflow !== undefined ? [request.workflow] : undefined, limit: TOP.anomalies }).map((a) => ({
      id: a.id, metric: a.metric, workflow: a.workflow ?? null, host: a.host ?? null, status: a.status, severity: a.severity,
      startedAt: isoOf(a.startedAt), lastSeenAt: isoOf(a.lastSeenAt), expected: a.expected, observed: a.observed, description: a.description,
    })),
    incidents: store
      .listIncidents({ ...range, limit: 1000 })
      .filter((i) => inScope(i.workflows))
      .slice(0, TOP.incidents)
      .map((i) => ({ id: i.id, title: i.title, status: i.status, severity: i.severity, startedAt: isoOf(i.startedAt), lastSeenAt: isoOf(i.lastSeenAt), workflows: i.workflows })),
    insights: store.listInsights({ workflows: request.workflow !== undefined ? [request.workflow] : undefined, limit: TOP.insights }).map((i) => ({
      id: i.id, category: i.category, workflow: i.workflow ?? null, title: i.title, recommendation: i.recommendation, status: i.status,
      priority: i.priorityScore, expectedImpact: i.expectedImpact, measuredChangePct: i.measuredImpact?.changePct ?? null,
    })),
  };
}

/** The report as CSV rows, one figure per row: `section,workflow,item,measure,value`. */
export function reportCsv(report: Report): string {
  const rows: Array<[string, string | null, string | null, string, string | number | boolean | null]> = [];
  const add = (section: string, workflow: string | null, item: string | null, values: Record<string, string | number | boolean | null>) => {
    for (const [measure, value] of Object.entries(values)) rows.push([section, workflow, item, measure, value]);
  };
  add('scope', report.scope.workflow, null, { from: report.scope.from, to: report.scope.to, generated_at: report.generatedAt });
  add('summary', report.scope.workflow, null, report.summary);
  for (const { workflow, ...s } of report.statistics) add('statistics', workflow, null, s);
  for (const { workflow, step, ...b } of report.bottlenecks) add('bottleneck', workflow, step, b);
  for (const { errorType, count } of report.failures.byErrorType) add('error_type', report.scope.workflow, errorType, { count });
  for (const p of report.failures.patterns) add('error_pattern', p.workflows.join(';'), p.pattern, { count: p.count, error_type: p.errorType, new: p.isNew, example: p.example });
  for (const { day, ...d } of report.daily) add('daily', report.scope.workflow, day, d);
  for (const a of report.anomalies) add('anomaly', a.workflow, a.id, { metric: a.metric, host: a.host, status: a.status, severity: a.severity, started_at: a.startedAt, expected: a.expected, observed: a.observed, description: a.description });
  for (const i of report.incidents) add('incident', i.workflows.join(';'), i.id, { title: i.title, status: i.status, severity: i.severity, started_at: i.startedAt });
  for (const i of report.insights) add('insight', i.workflow, i.id, { category: i.category, title: i.title, status: i.status, priority: i.priority, measured_change_pct: i.measuredChangePct, recommendation: i.recommendation });
  const cell = (value: string | number | boolean | null) => {
    if (value === null) return '';
    // Text that a spreadsheet would run as a formula is quoted with a leading apostrophe.
    const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(value) ? `'${value}` : String(value);
    return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return ['section,workflow,item,measure,value', ...rows.map((r) => r.map(cell).join(','))].join('\r\n') + '\r\n';
}
